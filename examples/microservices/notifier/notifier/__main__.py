"""Consumes the FIFO queue ORDER_EVENTS_QUEUE_URL (injected from `uses: [order-events:consume]`)."""
import json
import os
import pathlib
import signal
import smtplib
from email.message import EmailMessage

import boto3

from notifier import HEARTBEAT

running = True


def _stop(*_):
    global running
    running = False


def notify(event: dict) -> None:
    if event.get("type") != "order.created" or not event.get("email"):
        return
    msg = EmailMessage()
    msg["From"] = "orders@market.example.com"
    msg["To"] = event["email"]
    msg["Subject"] = f"Order {event['id']} received"
    msg.set_content("Thanks for your order. We will e-mail you again when it ships.")
    with smtplib.SMTP(os.environ["SMTP_HOST"], 587, timeout=10) as smtp:
        smtp.starttls()
        smtp.login(os.environ["SMTP_USER"], os.environ["SMTP_PASSWORD"])
        smtp.send_message(msg)


def main() -> None:
    signal.signal(signal.SIGTERM, _stop)
    sqs = boto3.client("sqs")
    queue = os.environ["ORDER_EVENTS_QUEUE_URL"]
    while running:
        pathlib.Path(HEARTBEAT).touch()
        reply = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=20)
        for message in reply.get("Messages", []):
            notify(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])


if __name__ == "__main__":
    main()
