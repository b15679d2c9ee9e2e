"""The review app's routes, one module per page family (as datasette keeps ``views/``).

Each module holds an ``APIRouter`` whose handlers parse the request, call a plain function of
:mod:`clusterradar.review` and render a template; what they share (the warehouse, the session,
the queue filters, rendering) comes from :mod:`clusterradar.review.routes.deps` as FastAPI
dependencies.
"""
