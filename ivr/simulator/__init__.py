"""A simulated caller that plays the line's TwiML with Twilio's semantics, and what it reports."""
