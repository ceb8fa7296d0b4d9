# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock | cksum | cut -d' ' -f1)
RUNS   := runs

.PHONY: run test test-fast lab reports clean-venv

# The virtual environment, rebuilt whenever pyproject.toml or requirements.lock changes.
# requirements.lock pins every transitive package to the versions the tests ran with.
$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[cpu,dev]"
	@rm -f $(VENV)/.installed-* && touch $@

## Train the MNIST GAN notebook headless into runs/ (about 6 minutes on 2 CPU cores).
run: $(STAMP)
	$(BIN)/python -m ganutils fetch mnist
	@mkdir -p $(RUNS)/01_mnist_gan
	$(BIN)/papermill --log-level WARNING notebooks/01_mnist_gan.ipynb \
		$(RUNS)/01_mnist_gan/01_mnist_gan.ipynb -p out_dir $(RUNS)/01_mnist_gan
	@echo
	@echo "Executed notebook: $(RUNS)/01_mnist_gan/01_mnist_gan.ipynb"
	@echo "Loss curves:       $(RUNS)/01_mnist_gan/losses.png"
	@echo "Epoch GIF:         $(RUNS)/01_mnist_gan/training.gif"
	@echo "Samples:           $(RUNS)/01_mnist_gan/samples.png"

## The whole test suite (CI runs this through .ci/run), on TEST_WORKERS processes: much of
## it is XLA compiling and subprocesses starting, one core each, so on 2 cores two workers
## took 13.7 minutes against 22.8 for one. (On a GPU box each worker takes GPU memory as needed.)
## Each worker's TensorFlow gets its share of the cores (TEST_THREADS), not all of them: two
## workers each running a pool as wide as the machine fight over its cores.
TEST_WORKERS ?= 2
TEST_THREADS ?= $(shell n=$$(( $$(nproc) / $(TEST_WORKERS) )); echo $$(( n > 0 ? n : 1 )))
TEST_ENV = TF_FORCE_GPU_ALLOW_GROWTH=true TF_NUM_INTRAOP_THREADS=$(TEST_THREADS) \
	TF_NUM_INTEROP_THREADS=$(TEST_THREADS) OMP_NUM_THREADS=$(TEST_THREADS)
test: $(STAMP)
	$(TEST_ENV) $(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist worksteal --durations=15

## The tests not marked slow (no notebooks, no killed runs, no wheel build): a quick check.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist worksteal -m "not slow"

## Execute every notebook with its report parameters into reports/ (long: see scripts/build_reports.py).
reports: $(STAMP)
	$(BIN)/python scripts/build_reports.py

## Open the notebooks in JupyterLab with the project's environment.
lab: $(STAMP)
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[cpu,dev,lab]"
	$(BIN)/jupyter lab notebooks/

clean-venv:
	rm -rf $(VENV)
