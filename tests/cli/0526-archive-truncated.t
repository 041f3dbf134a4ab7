setup: tar -cf full.tar -C @F tiny_llama && head -c 30000 full.tar > cut.tar
args: inspect @T/cut.tar
exit: 1
stderr-lines: 1
stderr-has: runs past the end of the archive
