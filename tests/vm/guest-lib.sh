# Shell functions of the test guests' /init scripts (tests/vm/init.sh,
# integrations/qemu/test/init.sh), packed as /bin/guest-lib.sh.  Results
# go to the console as "@@" lines (see tests/vm/run.py guest_results()).

ok() { echo "@@ok $*"; }
notok() { echo "@@not ok $*"; }
check() { # check DESC COMMAND...: ok when the command succeeds
	d=$1; shift
	if "$@"; then ok "$d"; else notok "$d"; fi
}
note() { while IFS= read -r l; do echo "@@# $l"; done; }

# e2e_report FILE RC: iommufd-e2e's TAP (in FILE) as "@@" results under
# "iommufd:", and its exit status RC checked
e2e_report() {
	while IFS= read -r l; do
		case $l in
		"ok "*) echo "@@ok iommufd: ${l#ok * - }" ;;
		"not ok "*) echo "@@not ok iommufd: ${l#not ok * - }" ;;
		1..*) ;;
		*) echo "@@# $l" ;;
		esac
	done <"$1"
	check "iommufd-e2e exit status 0 (was $2)" test "$2" = 0
}
