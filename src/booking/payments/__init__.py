"""Payments and invoicing: card payments through Stripe, district invoices, credit notes, payments received."""
