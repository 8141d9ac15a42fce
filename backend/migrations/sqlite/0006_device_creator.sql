-- Security rule 27: an unassigned virtual device belongs to whoever created it. Only its
-- creator (or a caller allowed to act on the creator, such as an administrator) may enable or
-- delete it, so nobody can throttle, lock, delete or squat another's enrolment; and the
-- devices a principal may leave unassigned are capped. NULL: created before this migration
-- (or imported by the operator), open to anyone the policy allows, as before.

ALTER TABLE mfa_devices ADD COLUMN created_by INTEGER REFERENCES principals (id);
CREATE INDEX mfa_devices_created_by ON mfa_devices (created_by);
