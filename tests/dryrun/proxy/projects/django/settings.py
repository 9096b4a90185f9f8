"""Django picks up pgfence's DATABASE_URL (the proxy's address) here."""

import os
from urllib.parse import parse_qs, unquote, urlsplit

url = urlsplit(os.environ["DATABASE_URL"])
query = parse_qs(url.query)  # a Unix socket is given as ?host=/dir
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(url.path.lstrip("/")),
        "USER": unquote(url.username or ""),
        "PASSWORD": unquote(url.password or ""),
        "HOST": query.get("host", [url.hostname or ""])[0],
        "PORT": str(url.port or query.get("port", [""])[0]),
    }
}
INSTALLED_APPS = ["django.contrib.postgres", "shop"]
SECRET_KEY = "example"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
