# Two commands: `make run` (set up, load the demo, start the app) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8501
# 127.0.0.1 keeps the app on this machine. For phones in the room use `make room`: it also allows the LAN
# address as a Host (.streamlit/config.toml allows loopback names only, so ADDRESS=0.0.0.0 alone refuses them).
ADDRESS ?= 127.0.0.1

.PHONY: setup run room test demo lint

# The exact pins (run time + tests and linters), then edp itself, editable: .venv/bin/edp runs this
# checkout, and the build uses the setuptools pinned in requirements-dev.txt (no download, no drift).
$(BIN)/.installed: pyproject.toml requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

setup: $(BIN)/.installed

demo: setup
	$(BIN)/python -m edp demo

run: demo
	$(BIN)/python -m streamlit run app.py --server.address $(ADDRESS) --server.port $(PORT)

# A real workshop: serve the devices in the room on the venue network (QR code uses the LAN address).
# No demo here: its organiser's password is public. On an empty database the server prints a setup code.
room: setup
	$(BIN)/python -m edp room --port $(PORT)

test: setup
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy
