"""Review a flow before it goes live: the flow as a picture, and what a change does to callers."""
