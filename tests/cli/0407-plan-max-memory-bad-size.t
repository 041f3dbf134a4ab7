args: plan --max-memory 0=lots @M/openai-community__gpt2.json
exit: 2
stderr: vramfit: --max-memory 0: 'lots' is not a size (use an integer for bytes, or a number with a unit: KiB MiB GiB TiB (binary), KB MB GB TB (decimal), Kb Mb Gb Tb (bits))
stderr-lines: 1
