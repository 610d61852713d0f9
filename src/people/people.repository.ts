import { Injectable } from '@nestjs/common';
import { Database, Sql } from '../database/database';
import { PartyRole } from '../protocol/registry';

export const PERSON_ROLES = ['administrator', 'staff'] as const;
export type PersonRole = (typeof PERSON_ROLES)[number];

export interface PersonRow {
  id: string;
  gln: string;
  email: string;
  name: string;
  role: PersonRole;
  createdAt: Date;
}

export interface PersonListRow extends PersonRow {
  passkeys: number;
  hasPassword: boolean;
  verifications: number;
  lastVerificationAt: Date | null;
}

export interface InvitationRow {
  id: string;
  gln: string;
  email: string;
  name: string;
  role: PersonRole;
  createdAt: Date;
  expiresAt: Date;
  acceptedAt: Date | null;
}

export interface SessionRow {
  personId: string;
  gln: string;
  partyRole: PartyRole | null;
  personRole: PersonRole;
  name: string;
  email: string;
  csrfHash: Buffer;
  lastSeenAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
}

export interface PasskeyRow {
  credentialId: string;
  personId: string;
  publicKey: Buffer;
  counter: number;
  transports: string[];
}

export interface DeviceRow {
  id: string;
  gln: string;
  personId: string | null;
  personName: string | null;
  tokenId: string | null;
  keyId: string;
  label: string;
  addedIndex: number;
  createdAt: Date;
  revokedAt: Date | null;
  revokedIndex: number | null;
}

const PERSON = `id, gln, email, name, role, created_at AS "createdAt"`;
const INVITATION = `id, gln, email, name, role, created_at AS "createdAt", expires_at AS "expiresAt",
  accepted_at AS "acceptedAt"`;
const DEVICE = `d.id, d.gln, d.person_id AS "personId", p.name AS "personName", d.token_id AS "tokenId",
  d.key_id AS "keyId", d.label, d.added_idx::int AS "addedIndex", d.created_at AS "createdAt",
  d.revoked_at AS "revokedAt", d.revoked_idx::int AS "revokedIndex"`;

/** SQL on people, their invitations, passkeys, sessions and devices (credentials: not log facts). */
@Injectable()
export class PeopleRepository {
  constructor(readonly db: Database) {}

  async insertPerson(
    sql: Sql,
    person: { id: string; gln: string; email: string; name: string; role: PersonRole; passwordHash: string | null },
  ): Promise<PersonRow> {
    const [row] = await sql.query<PersonRow>(
      `INSERT INTO person (id, gln, email, name, role, password_hash) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT DO NOTHING RETURNING ${PERSON}`,
      [person.id, person.gln, person.email, person.name, person.role, person.passwordHash],
    );
    return row;
  }

  async emailTaken(email: string): Promise<boolean> {
    const [row] = await this.db.query(`SELECT 1 FROM person WHERE lower(email) = lower($1)`, [email]);
    return row !== undefined;
  }

  async personForSignIn(email: string): Promise<(PersonRow & { passwordHash: string | null }) | undefined> {
    const [row] = await this.db.query<PersonRow & { passwordHash: string | null }>(
      `SELECT ${PERSON}, password_hash AS "passwordHash" FROM person
        WHERE lower(email) = lower($1) AND disabled_at IS NULL`,
      [email],
    );
    return row;
  }

  async person(id: string): Promise<PersonRow | undefined> {
    const [row] = await this.db.query<PersonRow>(`SELECT ${PERSON} FROM person WHERE id = $1`, [id]);
    return row;
  }

  /** A party's people, with how they sign in and how many verifications each made. */
  listPeople(gln: string): Promise<PersonListRow[]> {
    return this.db.query<PersonListRow>(
      `SELECT ${PERSON}, password_hash IS NOT NULL AS "hasPassword",
              (SELECT count(*)::int FROM passkey k WHERE k.person_id = person.id) AS passkeys,
              (SELECT count(*)::int FROM verification v WHERE v.person_id = person.id) AS verifications,
              (SELECT max(v.at) FROM verification v WHERE v.person_id = person.id) AS "lastVerificationAt"
         FROM person WHERE gln = $1 AND disabled_at IS NULL ORDER BY created_at`,
      [gln],
    );
  }

  async insertInvitation(invitation: {
    id: string;
    gln: string;
    email: string;
    name: string;
    role: PersonRole;
    tokenHash: Buffer;
    invitedBy: string | null;
    createdAt: Date;
    expiresAt: Date;
  }): Promise<InvitationRow> {
    const [row] = await this.db.query<InvitationRow>(
      `INSERT INTO person_invitation (id, gln, email, name, role, token_hash, invited_by, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${INVITATION}`,
      [
        invitation.id,
        invitation.gln,
        invitation.email,
        invitation.name,
        invitation.role,
        invitation.tokenHash,
        invitation.invitedBy,
        invitation.createdAt,
        invitation.expiresAt,
      ],
    );
    return row;
  }

  /** Marks the invitation used, once: undefined when it is unknown, used or expired as of `now`. */
  async takeInvitation(sql: Sql, tokenHash: Buffer, now: Date): Promise<InvitationRow | undefined> {
    const [row] = await sql.query<InvitationRow>(
      `UPDATE person_invitation SET accepted_at = $2
        WHERE token_hash = $1 AND accepted_at IS NULL AND expires_at > $2 RETURNING ${INVITATION}`,
      [tokenHash, now],
    );
    return row;
  }

  async recordAcceptance(sql: Sql, invitationId: string, personId: string): Promise<void> {
    await sql.query(`UPDATE person_invitation SET person_id = $2 WHERE id = $1`, [invitationId, personId]);
  }

  pendingInvitations(gln: string, now: Date): Promise<InvitationRow[]> {
    return this.db.query<InvitationRow>(
      `SELECT ${INVITATION} FROM person_invitation
        WHERE gln = $1 AND accepted_at IS NULL AND expires_at > $2 ORDER BY created_at`,
      [gln, now],
    );
  }

  async insertSession(session: {
    idHash: Buffer;
    personId: string;
    csrfHash: Buffer;
    now: Date;
    expiresAt: Date;
  }): Promise<void> {
    await this.db.query(
      `INSERT INTO person_session (id_hash, person_id, csrf_hash, created_at, last_seen_at, expires_at)
       VALUES ($1, $2, $3, $4, $4, $5)`,
      [session.idHash, session.personId, session.csrfHash, session.now, session.expiresAt],
    );
  }

  /** Forgets sessions that ended (expired or signed out) before `before`: they can only ever answer 401. */
  async sweepSessions(before: Date): Promise<void> {
    await this.db.query(`DELETE FROM person_session WHERE expires_at < $1 OR revoked_at < $1`, [before]);
  }

  /** The session with this id hash, its person and the person's party role (null when the party is not known). */
  async session(idHash: Buffer): Promise<SessionRow | undefined> {
    const [row] = await this.db.query<SessionRow>(
      `SELECT s.person_id AS "personId", p.gln, party.role AS "partyRole", p.role AS "personRole", p.name, p.email,
              s.csrf_hash AS "csrfHash", s.last_seen_at AS "lastSeenAt", s.expires_at AS "expiresAt",
              s.revoked_at AS "revokedAt"
         FROM person_session s JOIN person p ON p.id = s.person_id LEFT JOIN party ON party.gln = p.gln
        WHERE s.id_hash = $1 AND p.disabled_at IS NULL`,
      [idHash],
    );
    return row;
  }

  async touchSession(idHash: Buffer, now: Date): Promise<void> {
    await this.db.query(`UPDATE person_session SET last_seen_at = $2 WHERE id_hash = $1 AND last_seen_at < $2`, [
      idHash,
      now,
    ]);
  }

  async revokeSession(idHash: Buffer, now: Date): Promise<void> {
    await this.db.query(`UPDATE person_session SET revoked_at = coalesce(revoked_at, $2) WHERE id_hash = $1`, [
      idHash,
      now,
    ]);
  }

  async insertPasskey(passkey: PasskeyRow): Promise<void> {
    await this.db.query(
      `INSERT INTO passkey (credential_id, person_id, public_key, counter, transports) VALUES ($1, $2, $3, $4, $5)`,
      [passkey.credentialId, passkey.personId, passkey.publicKey, passkey.counter, passkey.transports],
    );
  }

  async passkey(credentialId: string): Promise<PasskeyRow | undefined> {
    const [row] = await this.db.query<PasskeyRow>(
      `SELECT k.credential_id AS "credentialId", k.person_id AS "personId", k.public_key AS "publicKey",
              k.counter::int AS counter, k.transports
         FROM passkey k JOIN person p ON p.id = k.person_id
        WHERE k.credential_id = $1 AND p.disabled_at IS NULL`,
      [credentialId],
    );
    return row;
  }

  passkeysOf(personId: string): Promise<PasskeyRow[]> {
    return this.db.query<PasskeyRow>(
      `SELECT credential_id AS "credentialId", person_id AS "personId", public_key AS "publicKey",
              counter::int AS counter, transports
         FROM passkey WHERE person_id = $1`,
      [personId],
    );
  }

  passkeysListed(personId: string): Promise<{ credentialId: string; transports: string[]; createdAt: Date }[]> {
    return this.db.query(
      `SELECT credential_id AS "credentialId", transports, created_at AS "createdAt"
         FROM passkey WHERE person_id = $1 ORDER BY created_at`,
      [personId],
    );
  }

  async setPasskeyCounter(credentialId: string, counter: number): Promise<void> {
    await this.db.query(`UPDATE passkey SET counter = $2 WHERE credential_id = $1`, [credentialId, counter]);
  }

  async insertChallenge(challenge: {
    idHash: Buffer;
    challenge: string;
    purpose: 'register' | 'authenticate';
    personId: string | null;
    expiresAt: Date;
  }): Promise<void> {
    await this.db.query(
      `INSERT INTO webauthn_challenge (id_hash, challenge, purpose, person_id, expires_at) VALUES ($1, $2, $3, $4, $5)`,
      [challenge.idHash, challenge.challenge, challenge.purpose, challenge.personId, challenge.expiresAt],
    );
  }

  /** Takes (deletes) a ceremony's challenge: each is usable once. Expired ones are swept on the way. */
  async takeChallenge(
    idHash: Buffer,
    purpose: 'register' | 'authenticate',
    now: Date,
  ): Promise<{ challenge: string; personId: string | null } | undefined> {
    await this.db.query(`DELETE FROM webauthn_challenge WHERE expires_at <= $1`, [now]);
    const [row] = await this.db.query<{ challenge: string; personId: string | null }>(
      `DELETE FROM webauthn_challenge WHERE id_hash = $1 AND purpose = $2
       RETURNING challenge, person_id AS "personId"`,
      [idHash, purpose],
    );
    return row;
  }

  async insertDevice(device: {
    id: string;
    gln: string;
    personId: string | null;
    tokenId: string | null;
    keyId: string;
    label: string;
    addedIndex: number;
  }): Promise<void> {
    await this.db.query(
      `INSERT INTO device (id, gln, person_id, token_id, key_id, label, added_idx) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [device.id, device.gln, device.personId, device.tokenId, device.keyId, device.label, device.addedIndex],
    );
  }

  devices(gln: string): Promise<DeviceRow[]> {
    return this.db.query<DeviceRow>(
      `SELECT ${DEVICE} FROM device d LEFT JOIN person p ON p.id = d.person_id WHERE d.gln = $1 ORDER BY d.created_at`,
      [gln],
    );
  }

  async device(gln: string, id: string): Promise<DeviceRow | undefined> {
    const [row] = await this.db.query<DeviceRow>(
      `SELECT ${DEVICE} FROM device d LEFT JOIN person p ON p.id = d.person_id WHERE d.gln = $1 AND d.id = $2`,
      [gln, id],
    );
    return row;
  }

  async markDeviceRevoked(id: string, revokedAt: Date, revokedIndex: number): Promise<void> {
    await this.db.query(
      `UPDATE device SET revoked_at = coalesce(revoked_at, $2), revoked_idx = coalesce(revoked_idx, $3) WHERE id = $1`,
      [id, revokedAt, revokedIndex],
    );
  }
}
