# One image for the API and the worker: `clarion api` or `clarion worker`.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY core ./core
COPY api ./api
COPY workflows ./workflows
COPY activities ./activities
COPY channels ./channels
COPY templates ./templates
COPY store ./store
COPY clarion ./clarion
RUN pip install --no-cache-dir .
ENV CLARION_API__HOST=0.0.0.0
# 3000: the API; 9464 and 9465: a worker's metrics (Clarion's, the Temporal SDK's).
EXPOSE 3000 9464 9465
CMD ["clarion", "api"]
