/**
 * /app/scan: a pharmacist scans a package and reads the answer in one glance. The evidence that comes with the
 * answer is checked here, in the browser, against the log key this browser pinned.
 */
import { DSCSA_PRODUCT_IDENTIFIER, parseProductCode } from '../../../src/gs1/product-code';
import { checkEvidence } from '../../../src/protocol/evidence';
import { ApiError, getJson } from '../common/api';
import { deviceKey, DeviceKeyInfo, registerDeviceKey } from '../common/device-key';
import { byId, fill, h } from '../common/dom';
import { formatDateTime, formatDay } from '../common/format';
import { describeKey, loadLogKey, LogKey, pin } from '../common/log-key';
import { expire, startSession } from '../common/session';
import { EvidenceOutcome, ScanRecord, VerificationAnswer } from './answer';
import { readPhoto, startCamera } from './barcode';
import { ScanHistory } from './history';
import { ActionContext, allowedActions, autoDispense, act, clearActions, renderActions } from './card-actions';
import { handScansTo } from './confirm';
import { ReceivingMode } from './receiving';
import { announcement, answeredIn, renderCard } from './result-card';
import { Scan, ScanBox } from './scan-box';
import { explainUnreadable } from './unreadable';

/** Pause in typing after which the box shows what the text reads as. */
const PREVIEW_DELAY_MS = 200;

const SESSION = {
  storageKey: 'rxledger.token.scan',
  roles: ['dispenser', 'distributor', 'manufacturer', 'regulator'],
  roleNames: 'pharmacies and other trading partners (the operator cannot verify packages)',
};

async function main(): Promise<void> {
  const logKey: Promise<LogKey | Error> = loadLogKey().catch((error: Error) => error);
  const session = await startSession(SESSION);
  byId('workspace').hidden = false;

  const card = byId('card');
  const announcer = byId('announce');
  const preview = byId('scan-preview');
  let latest = 0;
  let box: ScanBox | null = null;

  // This browser's signing key (actions are events signed by it); another party's key here counts as none.
  let device: DeviceKeyInfo | null = await deviceKey().catch(() => null);
  const hasDeviceKey = () => device !== null && device.gln === session.gln;
  const counter = byId<HTMLInputElement>('counter-mode');
  const autoConfirm = byId<HTMLInputElement>('auto-confirm');
  const actions: ActionContext = {
    session,
    hasDeviceKey,
    recorded: () => history.save(),
    // At the counter the next package is scanned next: the focus goes back to the scan box.
    returnFocus: () => (counter.checked ? byId('scan') : null),
  };
  const paint = (record: ScanRecord) => {
    renderCard(card, record, session.role);
    renderActions(card, record, actions);
  };

  const history = new ScanHistory(byId<HTMLOListElement>('history'), byId('history-empty'), (record) => {
    paint(record);
    card.scrollIntoView({ block: 'nearest' });
  });
  let shown: ScanRecord | null = null;

  const show = (record: ScanRecord) => {
    shown = record;
    paint(record);
    // Cleared first so the same words twice in a row are announced twice.
    announcer.textContent = '';
    announcer.textContent = announcement(record, session.role);
  };

  const receiving = new ReceivingMode({ session, hasDeviceKey, focusScan: () => box?.focus() });
  const receivingMode = () => byId<HTMLInputElement>('mode-receive').checked;

  const verify = async ({ code, endedAt }: Scan) => {
    if (receivingMode()) return receiving.scan(code);
    // From the Enter keystroke to this handler: time the page spent on earlier work (input delay).
    performance.measure('scan-input-delay', { start: endedAt, end: performance.now() });
    const record: ScanRecord = { id: history.nextId(), code, at: new Date().toISOString() };
    latest = record.id;
    history.add(record);
    card.classList.add('is-stale');
    card.setAttribute('aria-busy', 'true');
    clearActions(card);
    try {
      const answer = await getJson<VerificationAnswer>(`/v1/verify?code=${encodeURIComponent(code)}`, {
        token: session.token,
      });
      const answered = performance.now();
      record.answer = answer;
      record.evidence = evidenceOf(answer, await logKey);
      // The parts of scan-to-card: the round trip to the server, the evidence check in this browser, and the card's
      // rendering up to the frame that paints it (scan-render, below).
      performance.measure('scan-request', { start: endedAt, end: answered });
      performance.measure('scan-evidence-check', { start: answered, end: performance.now() });
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return expire(SESSION);
      const e = error instanceof ApiError ? error : new ApiError(0, 'ERROR', (error as Error).message);
      // An unreadable code: what is wrong in a pharmacist's words, the parser's exact words as the detail.
      const plain = e.status === 400 ? explainUnreadable(code) : undefined;
      record.error = plain
        ? { status: e.status, code: e.code, message: plain, detail: e.message }
        : { status: e.status, code: e.code, message: e.message };
    }
    const checked = performance.now();
    if (record.id === latest) {
      card.removeAttribute('aria-busy');
      show(record);
      // Verify-and-dispense at the counter: a green card dispenses after its one confirmation (or at once with
      // auto-confirm on); any other card never does (allowedActions offers dispensing on green cards only).
      if (counter.checked && hasDeviceKey() && allowedActions(record, session.role).includes('dispense')) {
        if (autoConfirm.checked) void autoDispense(card, record, actions);
        else void act('dispense', card, record, actions);
      }
    }
    // The card is in the DOM; the next frame paints it. That frame's start is "card on screen".
    requestAnimationFrame(() => {
      const end = performance.now();
      record.ms = end - endedAt;
      performance.measure('scan-to-card', { start: endedAt, end, detail: { scan: record.id } });
      performance.measure('scan-render', { start: checked, end });
      if (record.id === latest) {
        const ms = card.querySelector('.card-ms');
        if (ms) ms.textContent = answeredIn(record.ms);
      }
      history.save();
    });
  };

  // The preview waits for a pause in typing: parsing on every keystroke of a scanner's burst would delay the
  // Enter that ends it (the page handles keystrokes in order).
  let previewTimer: number | undefined;
  const showPreview = (text: string) => {
    window.clearTimeout(previewTimer);
    if (!text) return fill(preview);
    previewTimer = window.setTimeout(() => fill(preview, previewOf(text)), PREVIEW_DELAY_MS);
  };
  box = new ScanBox(
    byId<HTMLInputElement>('scan'),
    (scan) => void verify(scan),
    showPreview,
    (text) => (receivingMode() ? /^(\]C1|\(00\)|00)\d{18}$/.test(text.trim()) || isWholeCode(text) : isWholeCode(text)),
  );
  // On a touch device the box is not held in focus: its on-screen keyboard would hide the verdict (issue 13 §6).
  if (window.matchMedia('(pointer: coarse)').matches) box.focus = () => {};
  box.focus();

  handScansTo((key) => box?.take(key));
  wireModes(box, receiving, counter, autoConfirm);
  wireDevice(
    session,
    () => device,
    (info) => {
      device = info;
      if (shown) paint(shown);
    },
  );

  wirePhoto(box, (message) =>
    show({
      id: history.nextId(),
      code: 'photo',
      at: new Date().toISOString(),
      error: { status: 400, code: 'PHOTO', message },
    }),
  );
  wireCamera(box);
  void logKey.then((key) => showLogKey(key));
}

function wireModes(box: ScanBox, receiving: ReceivingMode, counter: HTMLInputElement, auto: HTMLInputElement): void {
  const card = byId('card');
  const panel = byId('receiving');
  const options = byId('counter-options');
  const apply = () => {
    const receive = byId<HTMLInputElement>('mode-receive').checked;
    panel.hidden = !receive;
    card.hidden = receive;
    options.hidden = receive;
    document.body.classList.toggle('is-receiving', receive);
    if (receive) void receiving.load();
  };
  for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="mode"]')) {
    radio.addEventListener('change', apply);
  }
  counter.addEventListener('change', () => {
    auto.disabled = !counter.checked;
    if (!counter.checked) auto.checked = false;
    box.focus();
  });
  auto.addEventListener('change', () => box.focus());
  apply();
}

/** The "Signing device" panel: this browser's key, or a button that registers one for the signed-in party. */
function wireDevice(
  session: { token: string | null; gln: string },
  current: () => DeviceKeyInfo | null,
  changed: (info: DeviceKeyInfo) => void,
): void {
  const panel = byId('device-key');
  const render = (error = '') => {
    const info = current();
    if (info && info.gln === session.gln) {
      fill(
        panel,
        h(
          'p',
          { id: 'device-status', 'data-key-id': info.keyId },
          'This browser signs as ',
          h('strong', null, info.label),
          ' · key ',
          h('code', null, info.keyId),
        ),
        h(
          'p',
          { class: 'muted' },
          'Its private key never leaves this browser; every action it records names this key.',
        ),
      );
      return;
    }
    const button = h('button', { type: 'button', id: 'device-register', class: 'secondary' }, 'Register this browser');
    const label = h('input', {
      id: 'device-label',
      type: 'text',
      value: 'Counter',
      maxlength: 100,
      autocomplete: 'off',
    });
    fill(
      panel,
      h(
        'p',
        { id: 'device-status' },
        info ? 'The key in this browser belongs to another party.' : 'This browser has no signing key yet.',
        ' Actions (dispense, quarantine, report, return, receipts) are signed by it.',
      ),
      h('label', { for: 'device-label' }, 'Device name'),
      label,
      button,
      error ? h('p', { class: 'error', role: 'alert' }, error) : null,
    );
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        const info = await registerDeviceKey(label.value.trim() || 'Counter', { token: session.token });
        changed(info);
        render();
        byId('device-status').setAttribute('tabindex', '-1');
        byId('device-status').focus();
      } catch (e) {
        render(`Could not register this browser: ${(e as Error).message}`);
      }
    });
  };
  render();
}

function evidenceOf(answer: VerificationAnswer, key: LogKey | Error): EvidenceOutcome {
  if (!answer.evidence) return { state: 'none', why: answer.evidenceUnavailable ?? 'the server sent none' };
  if (key instanceof Error)
    return { state: 'none', why: `could not be checked: the log key could not be loaded (${key.message})` };
  const checked = checkEvidence(answer.evidence, key.verifier);
  return checked.ok
    ? { state: 'ok', treeSize: checked.treeSize, index: answer.evidence.index, acceptedAt: checked.acceptedAt }
    : { state: 'failed', problem: checked.problem };
}

/**
 * A code the server will read as a unit: the whole DSCSA product identifier, or GTIN and serial in the forms that
 * carry no more (Digital Link, EPC URN). An element string with only GTIN and serial is a scan still arriving.
 */
function isWholeCode(text: string): boolean {
  try {
    parseProductCode(text, { require: DSCSA_PRODUCT_IDENTIFIER });
    return true;
  } catch {
    try {
      const code = parseProductCode(text, { require: ['gtin', 'serial'] });
      return code.form === 'digital-link' || code.form === 'epc-urn';
    } catch {
      return false;
    }
  }
}

/** What the typed text reads as, before it is sent: helps someone typing a code by hand. */
function previewOf(text: string): string {
  if (!text.trim()) return '';
  try {
    const code = parseProductCode(text);
    const parts = [
      code.gtin && `GTIN ${code.gtin}`,
      code.serial && `serial ${code.serial}`,
      code.lot && `lot ${code.lot}`,
      code.expiry && `expiry ${formatDay(code.expiry.date)}`,
    ].filter(Boolean);
    return `Reads as ${parts.join(' · ')}. Press Enter to check.`;
  } catch (error) {
    return `Not a complete code yet: ${(error as Error).message}.`;
  }
}

function wirePhoto(box: ScanBox, failed: (message: string) => void): void {
  const button = byId<HTMLButtonElement>('photo');
  const file = byId<HTMLInputElement>('photo-file');
  button.addEventListener('click', () => file.click());
  file.addEventListener('change', async () => {
    const picture = file.files?.[0];
    file.value = '';
    if (!picture) return;
    const label = button.textContent;
    button.disabled = true;
    button.textContent = 'Reading the photo…';
    try {
      const code = await readPhoto(picture);
      box.submit(code);
    } catch (error) {
      failed(`could not read the photo: ${(error as Error).message}`);
    } finally {
      button.disabled = false;
      button.textContent = label;
      box.focus();
    }
  });
}

function wireCamera(box: ScanBox): void {
  const dialog = byId<HTMLDialogElement>('camera-dialog');
  const video = byId<HTMLVideoElement>('camera-video');
  const status = byId('camera-status');
  let stop: (() => void) | null = null;
  const close = () => {
    stop?.();
    stop = null;
    if (dialog.open) dialog.close();
    box.focus();
  };
  byId('camera-close').addEventListener('click', close);
  dialog.addEventListener('close', () => {
    stop?.();
    stop = null;
    box.focus();
  });
  byId('camera').addEventListener('click', async () => {
    dialog.showModal();
    fill(status, 'Starting the camera…');
    try {
      stop = await startCamera(video, (code) => {
        close();
        box.submit(code);
      });
      fill(status, 'Hold the DataMatrix steady in the frame.');
    } catch (error) {
      fill(status, `The camera could not start: ${(error as Error).message}. Use a photo instead.`);
    }
  });
}

function showLogKey(key: LogKey | Error): void {
  const panel = byId('log-key');
  if (key instanceof Error) {
    fill(
      panel,
      h('p', { class: 'error' }, `The log key could not be loaded: ${key.message}. Answers cannot be checked.`),
    );
    return;
  }
  const { name, keyId } = describeKey(key.pinned.vkey);
  const changed = key.changed
    ? h(
        'div',
        { class: 'alarm', role: 'alert' },
        h('strong', null, 'The server now signs with a different log key. '),
        'Evidence will fail until you pin the new key. Pin it only if your network operator announced a key change.',
        h('code', { class: 'vkey' }, key.served!),
        h('button', { type: 'button', id: 'repin' }, 'Pin the new key'),
      )
    : null;
  fill(
    panel,
    h('p', null, h('strong', null, name), ' · key ', h('code', null, keyId)),
    h(
      'p',
      { class: 'muted' },
      `${key.firstUse ? 'Pinned now' : 'Pinned'} in this browser${key.firstUse ? '' : ` on ${formatDateTime(key.pinned.pinnedAt)}`}. Every answer's evidence is checked against it.`,
    ),
    h('details', null, h('summary', null, 'Full key'), h('code', { class: 'vkey' }, key.pinned.vkey)),
    changed,
  );
  panel.querySelector('#repin')?.addEventListener('click', () => {
    pin(key.served!);
    location.reload();
  });
}

void main();
