-- Every change to what nodes cache (API keys, app settings) bumps the "credentials" version in
-- the same transaction and notifies channel trackd_cache on commit, whoever makes the change:
-- a node, `trackd keys revoke`, or an operator with psql. A statement-level trigger: one bump
-- per statement, however many rows it touched. api_keys.last_used_at moves on every key's use
-- (at most every 5 minutes) and is not cached, so updates of that column alone don't count.
CREATE FUNCTION trackd_bump_credentials_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO cache_versions (name, version) VALUES ('credentials', 1)
    ON CONFLICT (name) DO UPDATE SET version = cache_versions.version + 1;
  PERFORM pg_notify('trackd_cache', 'credentials');
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER apps_bump_credentials_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON apps
  FOR EACH STATEMENT EXECUTE FUNCTION trackd_bump_credentials_version();
--> statement-breakpoint
CREATE TRIGGER api_keys_bump_credentials_version AFTER INSERT OR DELETE OR TRUNCATE ON api_keys
  FOR EACH STATEMENT EXECUTE FUNCTION trackd_bump_credentials_version();
--> statement-breakpoint
CREATE TRIGGER api_keys_update_bump_credentials_version AFTER UPDATE OF app_id, secret_hash, scopes, created_at, revoked_at ON api_keys
  FOR EACH STATEMENT EXECUTE FUNCTION trackd_bump_credentials_version();
