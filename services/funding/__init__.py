"""funding: entitlements, schedules, disbursements and budgets."""
