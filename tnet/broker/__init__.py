"""Fan-out over Redis Streams: one collector publishes events and views, any number of readers draw them."""
