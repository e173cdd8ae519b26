"""The channels beyond the app (Web Push, the WeChat Work and DingTalk group robots, an SMS gateway) and the
sender that empties their outbox (notification_deliveries) outside any request: docs/notify.md.

notices.notify writes a Delivery per channel a recipient takes, in the transaction of the event; outbox.send_due
sends the due ones later, each once, retried with a backoff up to NOTIFY_MAX_ATTEMPTS. One module per channel
speaks its documented HTTP; devices.py keeps a user's channel switches and push subscriptions; failures.py is
what administrators see and do about deliveries that did not go.
"""
