"""What answers Twilio: the webhooks, their signatures, the caller's position, TwiML."""
