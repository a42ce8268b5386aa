# Put before the maintainer scripts that need it (packaging/build.sh):
# creates what sysusers.conf says, with systemd-sysusers where there is
# one, else with groupadd and useradd.
odpswatch_users() {
	if command -v systemd-sysusers >/dev/null 2>&1; then
		systemd-sysusers odpswatch.conf
		return
	fi
	getent group odpslog >/dev/null || groupadd --system odpslog
	getent group odpswatch >/dev/null || groupadd --system odpswatch
	getent passwd odpswatch >/dev/null || useradd --system --gid odpswatch --home-dir /var/lib/odpswatch \
		--no-create-home --shell /usr/sbin/nologin --comment "odpswatch MaxCompute error code exporter" odpswatch
}

# The configuration is readable by the daemon's group, not by others: it
# may name password files and hosts.
# What an administrator deleted stays deleted (dpkg does not bring a
# deleted conffile back).
odpswatch_config_perms() {
	if [ -d /etc/odpswatch ]; then
		chown root:odpswatch /etc/odpswatch
		chmod 0750 /etc/odpswatch
	fi
	if [ -f /etc/odpswatch/odpswatch.yaml ]; then
		chown root:odpswatch /etc/odpswatch/odpswatch.yaml
		chmod 0640 /etc/odpswatch/odpswatch.yaml
	fi
}
