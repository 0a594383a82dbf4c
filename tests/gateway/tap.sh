# tap.sh: what the gateway test scripts share (sourced): ok/not_ok lines for tests/run and the
# exit traps. The caller defines cleanup() and ends with `exit "$failed"`.
failed=0
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { echo "ok - $1"; }
not_ok() {
	echo "not ok - $1: $2"
	failed=1
}
