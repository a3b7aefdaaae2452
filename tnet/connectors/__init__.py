"""Venue connectors: pure parsers and protocol specs per venue, plus the supervisor that runs them."""
