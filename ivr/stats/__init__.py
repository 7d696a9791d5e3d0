"""The line's statistics: counters per hour, never anything about one call or one caller."""
