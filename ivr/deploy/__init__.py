"""Going live: the Twilio number's webhooks, the smoke call, the checks before a deploy."""
