# a member named ../something is refused, not resolved
setup: mkdir -p a/b && cp @F/tiny_llama/config.json a/ && cd a/b && tar -P -cf ../../evil.tar ../config.json
args: inspect @T/evil.tar
exit: 1
stderr: vramfit: @T/evil.tar: member "../config.json" points outside the archive (an absolute name, "..", or too long)
