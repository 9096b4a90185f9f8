COPY accounts TO stdout;
