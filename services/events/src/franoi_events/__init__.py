"""The events service: a partner's community hubs, community events, lab series and
walk-in accesses."""
