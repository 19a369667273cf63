# Thin wrappers: the logic lives in scripts/.
.PHONY: run workers dev desktop test bench lint lock clean distclean

run:    ## Serve the app on http://localhost:3000 (compiled frontend, embedded defaults, demo data)
	@bash scripts/run.sh prod

workers: ## As run, with PORTAL_WORKERS (2) backend workers; needs REFLEX_REDIS_URL and a PostgreSQL PORTAL_DATABASE_URL
	@bash scripts/run.sh workers

dev:    ## Hot reload: frontend on :3000, backend on :8000
	@bash scripts/run.sh dev

desktop: ## The staff workspace in a native window (ARGS=--local or ARGS="--server https://portal.example.com")
	@bash scripts/desktop.sh

test:   ## ruff, mypy and the whole pytest suite
	@bash scripts/test.sh

bench:  ## Benchmarks (bench/run.py)
	@bash scripts/bench.sh

lint:   ## ruff and mypy only
	@bash scripts/lint.sh

lock:   ## Pin the whole Python dependency tree into requirements.lock (after editing pyproject.toml)
	@bash scripts/lock.sh

clean:  ## Remove build output and caches
	@bash scripts/clean.sh

distclean: ## clean, plus .venv and tools/
	@bash scripts/clean.sh all
