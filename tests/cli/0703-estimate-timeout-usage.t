# estimate, plan, check and capacity take --timeout too
args: estimate --timeout soon @F/tiny_llama
exit: 2
stderr-lines: 1
stderr-has: --timeout takes seconds (0.1 to 86400), not 'soon'
