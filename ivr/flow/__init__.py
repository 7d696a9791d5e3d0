"""The call flow as data: YAML read once into frozen dataclasses, validated as a whole graph.

Nothing here knows of Flask, Twilio's webhooks or the simulator.
"""
