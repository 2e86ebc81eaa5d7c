"""Kehu (客户): customer-team management for sales and service teams."""

__version__ = "0.1.0"
