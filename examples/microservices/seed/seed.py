"""One-off: load products.json into MySQL and placeholder images into the media bucket.

Connection settings come from `uses`: SHOPDB_HOST/PORT/NAME/USER/PASSWORD and MEDIA_BUCKET.
Idempotent, so a retry after a partial failure is safe.
"""
import json
import os
import pathlib

import boto3
import pymysql

HERE = pathlib.Path(__file__).parent


def main() -> None:
    products = json.loads((HERE / os.environ.get("SEED_FILE", "products.json")).read_text())
    conn = pymysql.connect(host=os.environ["SHOPDB_HOST"], port=int(os.environ["SHOPDB_PORT"]),
                           user=os.environ["SHOPDB_USER"], password=os.environ["SHOPDB_PASSWORD"],
                           database=os.environ["SHOPDB_NAME"], autocommit=False,
                           # TLS always; verified against the RDS CA bundle when one is mounted
                           ssl={"ca": os.environ.get("DB_CA_BUNDLE")})
    with conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS products (sku VARCHAR(32) PRIMARY KEY, "
                    "name VARCHAR(200) NOT NULL, price DECIMAL(10,2) NOT NULL, image VARCHAR(200))")
        cur.executemany(
            "INSERT INTO products (sku, name, price, image) VALUES (%(sku)s, %(name)s, %(price)s, %(image)s) "
            "ON DUPLICATE KEY UPDATE name = VALUES(name), price = VALUES(price), image = VALUES(image)",
            products)
        conn.commit()
    s3 = boto3.client("s3")
    for product in products:
        s3.put_object(Bucket=os.environ["MEDIA_BUCKET"], Key=product["image"],
                      Body=b"", ContentType="image/jpeg")
    print(f"seeded {len(products)} products")


if __name__ == "__main__":
    main()
