"""application: cases, their materials and paper delivery, and the case stream."""
