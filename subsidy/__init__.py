"""subsidy: exact, explained payouts of a city's construction-industry subsidy policy."""

__version__ = "0.1.0"
