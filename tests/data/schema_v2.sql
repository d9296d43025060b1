-- The schema of a HubCheck database at version 2 (PRAGMA user_version = 2), as HubCheck created it
-- before the previous CPL was kept. tests/test_cpl_restore.py builds an old database from it.
CREATE TABLE cpl_entries (
	id INTEGER NOT NULL, 
	device_type VARCHAR(8) NOT NULL, 
	manufacturer_id VARCHAR(32) NOT NULL, 
	manufacturer_name VARCHAR(120) NOT NULL, 
	model_id VARCHAR(32) NOT NULL, 
	hardware_version VARCHAR(32) NOT NULL, 
	firmware_version VARCHAR(32) NOT NULL, 
	smets_generation VARCHAR(8), 
	smets_chts_version VARCHAR(40) NOT NULL, 
	gbcs_version VARCHAR(20) NOT NULL, 
	status VARCHAR(10) NOT NULL, 
	image_hash VARCHAR(128) NOT NULL, 
	date_added VARCHAR(32) NOT NULL, 
	source_line INTEGER, 
	extra_json TEXT NOT NULL, 
	PRIMARY KEY (id)
);
CREATE INDEX ix_cpl_model ON cpl_entries (manufacturer_id, model_id);
CREATE TABLE cpl_imports (
	id INTEGER NOT NULL, 
	file_name VARCHAR(260) NOT NULL, 
	file_date DATETIME, 
	imported_at DATETIME NOT NULL, 
	row_count INTEGER NOT NULL, 
	rejected_count INTEGER NOT NULL, 
	sha256 VARCHAR(64) NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE jobs (
	job_ref VARCHAR(64) NOT NULL, 
	personal_mpxn VARCHAR(13) NOT NULL, 
	personal_address_lines TEXT NOT NULL, 
	personal_postcode VARCHAR(10) NOT NULL, 
	visit_date VARCHAR(10) NOT NULL, 
	source_file VARCHAR(260) NOT NULL, 
	imported_at DATETIME NOT NULL, 
	PRIMARY KEY (job_ref)
);
CREATE TABLE install_visits (
	id VARCHAR(36) NOT NULL, 
	job_ref VARCHAR(64) NOT NULL, 
	ppmid VARCHAR(23), 
	hub VARCHAR(23), 
	meter VARCHAR(23), 
	meter_type VARCHAR(8), 
	verdict_level VARCHAR(8) NOT NULL, 
	regime VARCHAR(8) NOT NULL, 
	regime_source VARCHAR(12) NOT NULL, 
	reasons_json TEXT NOT NULL, 
	override_reason TEXT, 
	outcome VARCHAR(10) NOT NULL, 
	abort_reason TEXT, 
	meta_json TEXT NOT NULL, 
	started_at VARCHAR(40) NOT NULL, 
	finished_at VARCHAR(40), 
	sync_state VARCHAR(10) NOT NULL, 
	sync_attempts INTEGER NOT NULL, 
	next_attempt_at FLOAT NOT NULL, 
	last_error TEXT, 
	PRIMARY KEY (id)
);
CREATE INDEX ix_install_visits_job_ref ON install_visits (job_ref);
CREATE TABLE outbox_counters (
	name VARCHAR(40) NOT NULL, 
	value BIGINT NOT NULL, 
	PRIMARY KEY (name)
);
CREATE TABLE audit_journal (
	id INTEGER NOT NULL, 
	at VARCHAR(40) NOT NULL, 
	action VARCHAR(40) NOT NULL, 
	subject VARCHAR(80) NOT NULL, 
	detail_json TEXT NOT NULL, 
	prev_hash VARCHAR(64) NOT NULL, 
	entry_hash VARCHAR(64) NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (prev_hash), 
	UNIQUE (entry_hash)
);
CREATE TABLE devices (
	id INTEGER NOT NULL, 
	device_id VARCHAR(23) NOT NULL, 
	job_ref VARCHAR(64), 
	source VARCHAR(10) NOT NULL, 
	device_type VARCHAR(8), 
	manufacturer_id VARCHAR(32) NOT NULL, 
	model_id VARCHAR(32) NOT NULL, 
	hardware_version VARCHAR(32) NOT NULL, 
	firmware_version VARCHAR(32) NOT NULL, 
	stated_generation VARCHAR(8), 
	smets_chts_version VARCHAR(40) NOT NULL, 
	smi_status VARCHAR(30) NOT NULL, 
	cpl_status VARCHAR(10) NOT NULL, 
	firmware_status VARCHAR(10) NOT NULL, 
	csp_region VARCHAR(20) NOT NULL, 
	has_s1sp BOOLEAN NOT NULL, 
	imported_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(job_ref) REFERENCES jobs (job_ref) ON DELETE CASCADE
);
CREATE INDEX ix_devices_device_id ON devices (device_id);
CREATE INDEX ix_devices_job_ref ON devices (job_ref);
CREATE TABLE outbox_intents (
	id INTEGER NOT NULL, 
	idempotency_key VARCHAR(36) NOT NULL, 
	install_id VARCHAR(36), 
	position INTEGER NOT NULL, 
	job_ref VARCHAR(64), 
	kind VARCHAR(40) NOT NULL, 
	srv VARCHAR(12) NOT NULL, 
	command_variant INTEGER NOT NULL, 
	target VARCHAR(23) NOT NULL, 
	critical BOOLEAN NOT NULL, 
	payload_json TEXT NOT NULL, 
	duis_xml TEXT NOT NULL, 
	state VARCHAR(10) NOT NULL, 
	attempts INTEGER NOT NULL, 
	next_attempt_at FLOAT NOT NULL, 
	last_error TEXT, 
	created_at VARCHAR(40) NOT NULL, 
	updated_at VARCHAR(40) NOT NULL, 
	sent_at VARCHAR(40), 
	accepted_at VARCHAR(40), 
	request_id VARCHAR(80), 
	response_code VARCHAR(16), 
	server_reason TEXT, 
	server_seq BIGINT, 
	PRIMARY KEY (id), 
	UNIQUE (idempotency_key), 
	FOREIGN KEY(install_id) REFERENCES install_visits (id)
);
CREATE INDEX ix_outbox_intents_install_id ON outbox_intents (install_id);
CREATE INDEX ix_outbox_due ON outbox_intents (state, next_attempt_at, id);
CREATE TABLE outbox_exports (
	id INTEGER NOT NULL, 
	intent_id INTEGER NOT NULL, 
	counter BIGINT NOT NULL, 
	request_id VARCHAR(80) NOT NULL, 
	file_name VARCHAR(260) NOT NULL, 
	exported_at VARCHAR(40) NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(intent_id) REFERENCES outbox_intents (id), 
	UNIQUE (counter)
);
CREATE INDEX ix_outbox_exports_intent_id ON outbox_exports (intent_id);
