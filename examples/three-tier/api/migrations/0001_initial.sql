CREATE TABLE products (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL,
    price      numeric(10, 2) NOT NULL CHECK (price >= 0),
    image_key  text
);

CREATE TABLE customers (
    id         bigserial PRIMARY KEY,
    email      text NOT NULL UNIQUE,
    full_name  text NOT NULL,
    address    text NOT NULL
);

CREATE TABLE orders (
    id          bigserial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id),
    total       numeric(10, 2) NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_created_at ON orders (created_at);

CREATE TABLE uploads (
    key          text PRIMARY KEY,
    size_bytes   bigint NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now()
);
