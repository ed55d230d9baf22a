"""Writes yesterday's orders as CSV to REPORTS_BUCKET (injected from `uses: [reports:write]`)."""
import csv
import datetime
import io
import os

import boto3
import psycopg


def main() -> None:
    day = datetime.date.today() - datetime.timedelta(days=1)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["order_id", "customer", "email", "total", "created_at"])
    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        rows = conn.execute(
            "SELECT o.id, c.full_name, c.email, o.total, o.created_at FROM orders o "
            "JOIN customers c ON c.id = o.customer_id "
            "WHERE o.created_at >= %s AND o.created_at < %s ORDER BY o.id",
            (day, day + datetime.timedelta(days=1)))
        writer.writerows(rows)
    key = f"{os.environ.get('REPORT_PREFIX', '')}{day.isoformat()}.csv"
    boto3.client("s3").put_object(Bucket=os.environ["REPORTS_BUCKET"], Key=key,
                                  Body=out.getvalue().encode(), ContentType="text/csv")
    print(f"wrote s3://{os.environ['REPORTS_BUCKET']}/{key}")


if __name__ == "__main__":
    main()
