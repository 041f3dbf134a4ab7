# ORG/NAME that is neither a local path nor in the HF cache says how to get it
args: inspect vramfit-test-org/surely-not-downloaded
exit: 1
stderr-lines: 1
stderr-has: vramfit: vramfit-test-org/surely-not-downloaded: no such file or directory, and not in the Hugging Face cache
stderr-has: run `huggingface-cli download vramfit-test-org/surely-not-downloaded`
