UPDATE events SET kind = kind + 1;
