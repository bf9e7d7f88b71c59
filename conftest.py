# nameko's pytest plugin no longer monkey-patches, and eventsourcing binds `threading` at
# import: patch before anything else is imported.
import eventlet

eventlet.monkey_patch()
