# make capacity-args (in make check): every flag of the `vllm serve` commands
# capacity prints is defined by the pinned vLLM (tests/data/vllm_args_v0.7.x.txt).
.PHONY: capacity-args
capacity-args: $(BIN)
	tests/capacity/check_vllm_args.sh $(BIN) ../shared/models
CHECK_EXTRA += capacity-args
# make capacity-chart (in make check): estimate --sweep --svg parses as XML and
# renders with rsvg-convert (Debian package librsvg2-bin).
.PHONY: capacity-chart
capacity-chart: $(BIN)
	tests/capacity/check_chart.sh $(BIN) ../shared/models
CHECK_EXTRA += capacity-chart
