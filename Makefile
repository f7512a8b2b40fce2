# Two commands do everything: `make demo` and `make test` (each creates or refreshes .venv first).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
EXTRAS := viz,notebooks,dev
STAMP := $(VENV)/.installed

.PHONY: demo test venv bench clean

# Re-install whenever pyproject.toml changes; the stamp records the last successful install.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --editable ".[$(EXTRAS)]"
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/demo.py

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/scalar_mlp.py
	$(BIN)/python benchmarks/deep_chain.py
	$(BIN)/python benchmarks/tensor_mlp.py
	$(BIN)/python benchmarks/op_overhead.py
	$(BIN)/python benchmarks/optim_step.py
	$(BIN)/python benchmarks/cnn_step.py
	$(BIN)/python benchmarks/fit_breast_cancer.py
	$(BIN)/python benchmarks/tuning_grid.py
	$(BIN)/python benchmarks/memory_growth.py

clean:
	rm -rf $(VENV) demo_output .pytest_cache .ruff_cache .hypothesis
