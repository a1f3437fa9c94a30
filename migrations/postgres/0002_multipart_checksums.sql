-- Additional checksums of multipart uploads: the algorithm and type chosen at creation
-- (NULL: none), and each part's checksums as a JSON object {"sha256": "<base64>", ...}.
ALTER TABLE multipart_uploads ADD COLUMN checksum_algorithm TEXT;
ALTER TABLE multipart_uploads ADD COLUMN checksum_type TEXT;
ALTER TABLE multipart_parts ADD COLUMN checksums TEXT NOT NULL DEFAULT '{}';
