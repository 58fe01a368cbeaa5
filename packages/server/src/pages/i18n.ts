/**
 * Localization of the public pages: message catalogs (English, Swedish), locale
 * negotiation (`?lang=`, the `lang` cookie, Accept-Language with q-values) and
 * dates in UTC. Pure: no Fastify types, so any page (the portfolio too) can use it.
 *
 *   const locale = negotiateLocale(request);          // 'en' | 'sv'
 *   t(locale, 'credential.awardedTo', {name});        // "{name}" placeholders, never HTML
 *
 * Catalog values are plain text: the `html` template escapes them like any other value.
 */

/** The locales the pages are written in. The first is the default. */
export const LOCALES = ['en', 'sv'] as const;
/** A supported locale. */
export type Locale = (typeof LOCALES)[number];
/** The default locale. */
export const DEFAULT_LOCALE: Locale = 'en';
/** The cookie that remembers a visitor's choice (set by `?lang=`). */
export const LANG_COOKIE = 'lang';

/** Each locale's name in its own language (for the language switch). */
export const LOCALE_NAMES: Record<Locale, string> = {en: 'English', sv: 'Svenska'};
/** The BCP 47 tag used for date formatting. */
const DATE_LOCALE: Record<Locale, string> = {en: 'en-GB', sv: 'sv-SE'};

const en = {
  // Page shell
  'layout.skip': 'Skip to content',
  'layout.language': 'Language',
  'layout.footer': 'Verifiable with {vc} and {ob}',
  'layout.poweredBy': 'Laurel',

  // Verdict and standing
  'verdict.verified': 'Verified',
  'verdict.notVerified': 'Not verified',
  'standing.valid': 'Valid',
  'standing.valid.message': 'The credential is genuine and in force.',
  'standing.status-unknown': 'Valid, status unknown',
  'standing.status-unknown.message': 'The signature is valid; whether it has been revoked could not be checked.',
  'standing.invalid': 'Not verified',
  'standing.invalid.message': 'This credential could not be verified: see the failed checks below.',
  'standing.revoked': 'Revoked',
  'standing.revoked.message': 'The issuer has revoked this credential: it is no longer valid.',
  'standing.suspended': 'Suspended',
  'standing.suspended.message': 'The issuer has suspended this credential: it is not to be accepted while the suspension lasts.',
  'standing.expired': 'Expired',
  'standing.expired.message': 'This credential has expired.',
  'standing.not-yet-valid': 'Not yet valid',
  'standing.not-yet-valid.message': 'This credential is not valid yet: its start date is in the future.',
  'standing.since': 'since {date}',
  'standing.reason': 'Reason given by the issuer: {reason}',
  'standing.renewed': 'This credential has been renewed: see the current one',

  // Check list
  'checks.title': 'Checks',
  'checks.passed': 'Passed',
  'checks.failed': 'Failed',
  'checks.warning': 'Warning',
  'checks.skipped': 'Not checked',
  'checks.server': 'Checked by this server.',
  'checks.browser.running': 'Checking again in your browser…',
  'checks.browser.done': 'Checked again in your browser.',
  'checks.browser.differs': "Checked again in your browser. The server's answer was different ({server}); the browser's is shown.",
  'checks.browser.failed': "Your browser could not check this credential; the server's result is shown.",

  // Plain-language line per check code (docs/VERIFICATION.md)
  'check.STRUCTURE_VALID': 'The credential is well-formed.',
  'check.STRUCTURE_INVALID': 'This is not a well-formed credential: a required part is missing or of the wrong kind.',
  'check.CONTEXTS_ALLOWED': 'It uses only vocabularies Laurel knows.',
  'check.CONTEXT_NOT_ALLOWED': 'It uses a vocabulary Laurel does not know, so its meaning cannot be pinned down.',
  'check.SCHEMA_VALID': 'It follows the Open Badges 3.0 format.',
  'check.SCHEMA_INVALID': 'It does not follow the Open Badges 3.0 format.',
  'check.SCHEMA_NOT_APPLICABLE': 'It is not an Open Badges 3.0 credential, so that format does not apply.',
  'check.PROOF_VALID': 'The signature matches: nothing has been changed since the issuer signed it.',
  'check.PROOF_VERIFICATION_ERROR': 'The signature does not match: the credential was changed after signing, or someone else signed it.',
  'check.MALFORMED_PROOF_ERROR': 'The signature is damaged or of a kind Laurel cannot check.',
  'check.MISMATCHED_PROOF_PURPOSE_ERROR': 'The signature was made for another purpose than issuing credentials.',
  'check.PROOF_TRANSFORMATION_ERROR': 'The credential’s data cannot be put in the exact form the signature covers.',
  'check.PROOF_MISSING': 'The credential is not signed.',
  'check.JWT_CLAIMS_MISMATCH': 'The signed token says something different from the credential inside it.',
  'check.ISSUER_VALID': 'It was signed with a key that belongs to the issuer and was valid at the time.',
  'check.ISSUER_UNRESOLVED': 'The issuer’s keys could not be looked up.',
  'check.KEY_NOT_CONTROLLED_BY_ISSUER': 'The key that signed it does not belong to the named issuer.',
  'check.KEY_NOT_VALID_AT_PROOF_TIME': 'The key was not valid when the signature was made.',
  'check.ISSUER_DOMAIN_OK': 'The issuer is identified by its web domain.',
  'check.ISSUER_DOMAIN_LOOKALIKE': 'The issuer’s web domain uses look-alike or hidden characters: make sure it is the organisation you expect.',
  'check.ISSUER_DOMAIN_NOT_APPLICABLE': 'The issuer is not identified by a web domain.',
  'check.VALIDITY_OK': 'It is within its validity dates.',
  'check.NOT_YET_VALID': 'It is not valid yet: its start date is in the future.',
  'check.EXPIRED': 'It has expired.',
  'check.VALIDITY_INVALID': 'Its dates cannot be read.',
  'check.STATUS_NONE': 'The issuer publishes no revocation status for it.',
  'check.STATUS_VALID': 'It has not been revoked or suspended.',
  'check.STATUS_REVOKED': 'The issuer has revoked it: it is no longer valid.',
  'check.STATUS_SUSPENDED': 'The issuer has suspended it: it is not to be accepted while the suspension lasts.',
  'check.STATUS_UNKNOWN': 'Whether it has been revoked could not be checked.',
  'check.STATUS_LIST_LENGTH_ERROR': 'The issuer’s status list is too short to protect holders’ privacy.',
  'check.STATUS_RANGE_ERROR': 'The credential points past the end of the issuer’s status list.',
  'check.CHECK_NOT_RUN': 'Not checked, because an earlier check failed.',

  // Credential page
  'credential.awarded': '{issuer} awarded',
  'credential.to': 'to',
  'credential.description': '{issuer} awarded {achievement} to {recipient}.',
  'credential.issuedBy': 'Issued by',
  'credential.issuedOn': 'Issued on',
  'credential.validUntil': 'Valid until',
  'credential.expiredOn': 'Expired on',
  'credential.type': 'Type',
  'credential.descriptionLabel': 'Description',
  'credential.criteria': 'Criteria',
  'credential.skills': 'Skills',
  'credential.details': 'Details',
  'credential.download': 'Download the {link} and check it yourself with {cli}.',
  'credential.signedJson': 'signed credential (JSON)',
  'credential.issuerPage': 'About the issuer',
  'credential.achievementPage': 'About this achievement',
  'credential.ogAlt': '{achievement}, awarded to {recipient} by {issuer}',

  // Sharing
  'share.title': 'Share and download',
  'share.linkedinAdd': 'Add to LinkedIn profile',
  'share.linkedinAddHelp': 'If LinkedIn does not fill in the form, copy these values into it:',
  'share.linkedinShare': 'Share on LinkedIn',
  'share.x': 'Share on X',
  'share.email': 'Share by email',
  'share.copyLink': 'Copy link',
  'share.copy': 'Copy',
  'share.copied': 'Copied',
  'share.copyFailed': 'Select the text and copy it',
  'share.link': 'Link to this credential',
  'share.field.name': 'Name',
  'share.field.organization': 'Issuing organization',
  'share.field.issueDate': 'Issue date',
  'share.field.expirationDate': 'Expiration date',
  'share.field.credentialUrl': 'Credential URL',
  'share.field.credentialId': 'Credential ID',
  'share.noExpiry': 'Does not expire',
  'share.emailSubject': 'My credential: {achievement}',
  'share.emailBody': 'I have been awarded {achievement} by {issuer}. You can verify it here: {url}',
  'share.tweet': 'I have been awarded {achievement} by {issuer}.',
  'share.downloads': 'Downloads',
  'share.pdf': 'Certificate (PDF)',
  'share.png': 'Image (PNG)',
  'share.badgePng': 'Badge with credential inside (PNG)',
  'share.badgeSvg': 'Badge with credential inside (SVG)',
  'share.wallet': 'Add to a wallet (JSON)',
  'share.embed': 'Embed on a website',
  'share.embedHelp': 'Paste this code into your web page:',
  'share.newWindow': '(opens in a new window)',

  // Private credential
  'private.title': 'Private credential',
  'private.heading': 'This credential is private',
  'private.body': 'Its holder has chosen not to show it publicly.',
  'private.verify': 'If you were given the credential file, you can still check it on the {link}.',
  'private.verifyLink': 'verification page',

  // Embed
  'embed.awardedTo': 'Awarded to {recipient}',
  'embed.by': 'by {issuer}',
  'embed.view': 'View credential',

  // Issuer page
  'issuer.achievements': 'Achievements',
  'issuer.noAchievements': 'No achievements are published yet.',
  'issuer.website': 'Website',
  'issuer.verification': 'How to verify credentials from this issuer',
  'issuer.did': 'Identifier (DID)',
  'issuer.didDocument': 'DID document',
  'issuer.keys': 'Signing keys',
  'issuer.validFrom': 'Valid from',
  'issuer.validUntil': 'Valid until',
  'issuer.keyActive': 'in use',
  'issuer.howTo': 'Every credential from {issuer} is signed with one of these keys. Open a credential’s link, or drop its file on the {link}: the signature, the issuer’s key and its validity window, and the revocation status are all checked.',
  'issuer.verifyLink': 'verification page',
  'issuer.cli': 'Or check a credential file yourself: {cli}',
  'issuer.didKey': 'This issuer is identified by did:key identifiers: each is its public key, so there is no document to fetch.',

  // Achievement page
  'achievement.issuedBy': 'Issued by {issuer}',
  'achievement.type': 'Type',
  'achievement.description': 'Description',
  'achievement.criteria': 'Criteria',
  'achievement.criteriaLink': 'Full criteria',
  'achievement.skills': 'Skills and frameworks',
  'achievement.code': 'Code',
  'achievement.credits': 'Credits',
  'achievement.field': 'Field of study',
  'achievement.tags': 'Tags',
  'achievement.json': 'This achievement as Open Badges 3.0 JSON',

  // Home
  'home.org': 'Credentials issued here can be verified by anyone.',
  'home.main': 'Issue and verify Open Badges 3.0 credentials.',
  'home.help': 'Open a credential link ({path}) to see who issued it and every check that proves it genuine.',
  'home.verify': 'Verify a credential',
  'verify.title': 'Verify a credential',
  'verify.description': 'Check an Open Badges 3.0 or W3C Verifiable Credential.',
  'verify.paste': 'Paste the credential (JSON), a {jwt} token, or a link to a credential.',
  'verify.drop': 'Drop a {json} file, a baked badge ({png}, {svg}) or a PDF certificate with the credential attached here, or choose one:',
  'verify.scan': 'Scan a QR code with the camera',
  'verify.submit': 'Verify',
  'verify.server': 'Check on the server instead',
  'verify.note': "With JavaScript on, pasted text and files are checked in your browser: they never leave it unless you ask for a server-side check, and then only the credential taken out of a badge or PDF is sent, never the file. Links are always checked by this server, because browsers may not fetch other sites' pages.",
  'verify.result': 'Result',
  'verify.js.askingServer': 'Asking the server…',
  'verify.js.serverUnreachable': 'The server could not be reached: {error}',
  'verify.js.empty': 'Paste a credential, a vc+jwt or a link first, or drop a file.',
  'verify.js.fetchedLink': 'Checked by this server, which fetched the link (browsers may not fetch other sites).',
  'verify.js.notJson': 'This is not valid JSON: {error}',
  'verify.js.onRequest': 'Checked by this server, at your request.',
  'verify.js.checking': 'Checking in your browser…',
  'verify.js.inBrowser': 'Checked in your browser: nothing was sent to the server.',
  'verify.js.browserFailed': 'Your browser could not check this credential ({error}). Try “Check on the server instead”.',
  'verify.js.reading': 'Reading {file}…',
  'verify.js.cameraStarting': 'Starting the camera…',
  'verify.js.cameraUnavailable': 'The camera is not available ({error}).',
  'verify.js.pointCamera': 'Point the camera at the QR code.',
  'verify.js.noQr': 'No QR code found; try again closer, or paste the link.',
  'verify.js.qrRead': 'QR code read.',
} as const;

/** A message key. */
export type MessageKey = keyof typeof en;

const sv: Record<MessageKey, string> = {
  'layout.skip': 'Hoppa till innehållet',
  'layout.language': 'Språk',
  'layout.footer': 'Verifierbart med {vc} och {ob}',
  'layout.poweredBy': 'Laurel',

  'verdict.verified': 'Verifierat',
  'verdict.notVerified': 'Inte verifierat',
  'standing.valid': 'Giltigt',
  'standing.valid.message': 'Intyget är äkta och gäller.',
  'standing.status-unknown': 'Giltigt, status okänd',
  'standing.status-unknown.message': 'Signaturen är giltig; om intyget har återkallats gick inte att kontrollera.',
  'standing.invalid': 'Inte verifierat',
  'standing.invalid.message': 'Intyget kunde inte verifieras: se de kontroller som inte gick igenom nedan.',
  'standing.revoked': 'Återkallat',
  'standing.revoked.message': 'Utfärdaren har återkallat intyget: det gäller inte längre.',
  'standing.suspended': 'Tillfälligt spärrat',
  'standing.suspended.message': 'Utfärdaren har tillfälligt spärrat intyget: det ska inte godtas så länge spärren gäller.',
  'standing.expired': 'Utgånget',
  'standing.expired.message': 'Intyget har gått ut.',
  'standing.not-yet-valid': 'Ännu inte giltigt',
  'standing.not-yet-valid.message': 'Intyget gäller ännu inte: dess startdatum ligger i framtiden.',
  'standing.since': 'sedan {date}',
  'standing.reason': 'Utfärdarens skäl: {reason}',
  'standing.renewed': 'Intyget har förnyats: se det aktuella',

  'checks.title': 'Kontroller',
  'checks.passed': 'Godkänd',
  'checks.failed': 'Underkänd',
  'checks.warning': 'Varning',
  'checks.skipped': 'Inte kontrollerad',
  'checks.server': 'Kontrollerat av den här servern.',
  'checks.browser.running': 'Kontrollerar igen i din webbläsare…',
  'checks.browser.done': 'Kontrollerat igen i din webbläsare.',
  'checks.browser.differs': 'Kontrollerat igen i din webbläsare. Serverns svar var ett annat ({server}); webbläsarens visas.',
  'checks.browser.failed': 'Din webbläsare kunde inte kontrollera intyget; serverns resultat visas.',

  'check.STRUCTURE_VALID': 'Intyget är korrekt uppbyggt.',
  'check.STRUCTURE_INVALID': 'Det här är inte ett korrekt uppbyggt intyg: en obligatorisk del saknas eller är av fel slag.',
  'check.CONTEXTS_ALLOWED': 'Det använder bara vokabulär som Laurel känner till.',
  'check.CONTEXT_NOT_ALLOWED': 'Det använder en vokabulär som Laurel inte känner till, så dess innebörd kan inte fastställas.',
  'check.SCHEMA_VALID': 'Det följer formatet Open Badges 3.0.',
  'check.SCHEMA_INVALID': 'Det följer inte formatet Open Badges 3.0.',
  'check.SCHEMA_NOT_APPLICABLE': 'Det är inte ett Open Badges 3.0-intyg, så det formatet gäller inte.',
  'check.PROOF_VALID': 'Signaturen stämmer: inget har ändrats sedan utfärdaren signerade det.',
  'check.PROOF_VERIFICATION_ERROR': 'Signaturen stämmer inte: intyget har ändrats efter signeringen, eller så har någon annan signerat det.',
  'check.MALFORMED_PROOF_ERROR': 'Signaturen är skadad eller av ett slag som Laurel inte kan kontrollera.',
  'check.MISMATCHED_PROOF_PURPOSE_ERROR': 'Signaturen gjordes för ett annat syfte än att utfärda intyg.',
  'check.PROOF_TRANSFORMATION_ERROR': 'Intygets data kan inte ställas upp i exakt den form som signaturen omfattar.',
  'check.PROOF_MISSING': 'Intyget är inte signerat.',
  'check.JWT_CLAIMS_MISMATCH': 'Den signerade token säger något annat än intyget i den.',
  'check.ISSUER_VALID': 'Det signerades med en nyckel som tillhör utfärdaren och som gällde vid tillfället.',
  'check.ISSUER_UNRESOLVED': 'Utfärdarens nycklar kunde inte slås upp.',
  'check.KEY_NOT_CONTROLLED_BY_ISSUER': 'Nyckeln som signerade det tillhör inte den angivna utfärdaren.',
  'check.KEY_NOT_VALID_AT_PROOF_TIME': 'Nyckeln gällde inte när signaturen gjordes.',
  'check.ISSUER_DOMAIN_OK': 'Utfärdaren identifieras av sin webbdomän.',
  'check.ISSUER_DOMAIN_LOOKALIKE': 'Utfärdarens webbdomän innehåller förväxlingsbara eller dolda tecken: kontrollera att det är den organisation du väntar dig.',
  'check.ISSUER_DOMAIN_NOT_APPLICABLE': 'Utfärdaren identifieras inte av en webbdomän.',
  'check.VALIDITY_OK': 'Det är inom sina giltighetsdatum.',
  'check.NOT_YET_VALID': 'Det gäller ännu inte: startdatumet ligger i framtiden.',
  'check.EXPIRED': 'Det har gått ut.',
  'check.VALIDITY_INVALID': 'Dess datum kan inte läsas.',
  'check.STATUS_NONE': 'Utfärdaren publicerar ingen återkallelsestatus för det.',
  'check.STATUS_VALID': 'Det har inte återkallats eller spärrats.',
  'check.STATUS_REVOKED': 'Utfärdaren har återkallat det: det gäller inte längre.',
  'check.STATUS_SUSPENDED': 'Utfärdaren har tillfälligt spärrat det: det ska inte godtas så länge spärren gäller.',
  'check.STATUS_UNKNOWN': 'Om det har återkallats gick inte att kontrollera.',
  'check.STATUS_LIST_LENGTH_ERROR': 'Utfärdarens statuslista är för kort för att skydda innehavarnas integritet.',
  'check.STATUS_RANGE_ERROR': 'Intyget pekar bortom slutet av utfärdarens statuslista.',
  'check.CHECK_NOT_RUN': 'Inte kontrollerat, eftersom en tidigare kontroll misslyckades.',

  'credential.awarded': '{issuer} har tilldelat',
  'credential.to': 'till',
  'credential.description': '{issuer} har tilldelat {recipient} {achievement}.',
  'credential.issuedBy': 'Utfärdat av',
  'credential.issuedOn': 'Utfärdat',
  'credential.validUntil': 'Giltigt till',
  'credential.expiredOn': 'Gick ut',
  'credential.type': 'Typ',
  'credential.descriptionLabel': 'Beskrivning',
  'credential.criteria': 'Kriterier',
  'credential.skills': 'Färdigheter',
  'credential.details': 'Uppgifter',
  'credential.download': 'Ladda ner det {link} och kontrollera det själv med {cli}.',
  'credential.signedJson': 'signerade intyget (JSON)',
  'credential.issuerPage': 'Om utfärdaren',
  'credential.achievementPage': 'Om den här meriten',
  'credential.ogAlt': '{achievement}, tilldelat {recipient} av {issuer}',

  'share.title': 'Dela och ladda ner',
  'share.linkedinAdd': 'Lägg till i LinkedIn-profilen',
  'share.linkedinAddHelp': 'Om LinkedIn inte fyller i formuläret, kopiera in de här uppgifterna:',
  'share.linkedinShare': 'Dela på LinkedIn',
  'share.x': 'Dela på X',
  'share.email': 'Dela via e-post',
  'share.copyLink': 'Kopiera länk',
  'share.copy': 'Kopiera',
  'share.copied': 'Kopierat',
  'share.copyFailed': 'Markera texten och kopiera den',
  'share.link': 'Länk till intyget',
  'share.field.name': 'Namn',
  'share.field.organization': 'Utfärdande organisation',
  'share.field.issueDate': 'Utfärdandedatum',
  'share.field.expirationDate': 'Utgångsdatum',
  'share.field.credentialUrl': 'Intygets webbadress',
  'share.field.credentialId': 'Intygs-id',
  'share.noExpiry': 'Går inte ut',
  'share.emailSubject': 'Mitt intyg: {achievement}',
  'share.emailBody': 'Jag har fått {achievement} av {issuer}. Du kan verifiera det här: {url}',
  'share.tweet': 'Jag har fått {achievement} av {issuer}.',
  'share.downloads': 'Nedladdningar',
  'share.pdf': 'Intyg (PDF)',
  'share.png': 'Bild (PNG)',
  'share.badgePng': 'Märke med intyget inbakat (PNG)',
  'share.badgeSvg': 'Märke med intyget inbakat (SVG)',
  'share.wallet': 'Lägg till i en plånbok (JSON)',
  'share.embed': 'Bädda in på en webbplats',
  'share.embedHelp': 'Klistra in den här koden på din webbsida:',
  'share.newWindow': '(öppnas i ett nytt fönster)',

  'private.title': 'Privat intyg',
  'private.heading': 'Det här intyget är privat',
  'private.body': 'Innehavaren har valt att inte visa det offentligt.',
  'private.verify': 'Om du har fått intygsfilen kan du fortfarande kontrollera den på {link}.',
  'private.verifyLink': 'verifieringssidan',

  'embed.awardedTo': 'Tilldelat {recipient}',
  'embed.by': 'av {issuer}',
  'embed.view': 'Visa intyget',

  'issuer.achievements': 'Meriter',
  'issuer.noAchievements': 'Inga meriter är publicerade än.',
  'issuer.website': 'Webbplats',
  'issuer.verification': 'Så verifierar du intyg från den här utfärdaren',
  'issuer.did': 'Identifierare (DID)',
  'issuer.didDocument': 'DID-dokument',
  'issuer.keys': 'Signeringsnycklar',
  'issuer.validFrom': 'Giltig från',
  'issuer.validUntil': 'Giltig till',
  'issuer.keyActive': 'används',
  'issuer.howTo': 'Varje intyg från {issuer} är signerat med en av de här nycklarna. Öppna intygets länk, eller släpp dess fil på {link}: signaturen, utfärdarens nyckel och dess giltighetstid samt återkallelsestatus kontrolleras.',
  'issuer.verifyLink': 'verifieringssidan',
  'issuer.cli': 'Eller kontrollera en intygsfil själv: {cli}',
  'issuer.didKey': 'Utfärdaren identifieras med did:key-identifierare: var och en är sin publika nyckel, så det finns inget dokument att hämta.',

  'achievement.issuedBy': 'Utfärdas av {issuer}',
  'achievement.type': 'Typ',
  'achievement.description': 'Beskrivning',
  'achievement.criteria': 'Kriterier',
  'achievement.criteriaLink': 'Fullständiga kriterier',
  'achievement.skills': 'Färdigheter och ramverk',
  'achievement.code': 'Kod',
  'achievement.credits': 'Poäng',
  'achievement.field': 'Ämnesområde',
  'achievement.tags': 'Taggar',
  'achievement.json': 'Meriten som Open Badges 3.0-JSON',

  'home.org': 'Intyg som utfärdas här kan verifieras av vem som helst.',
  'home.main': 'Utfärda och verifiera Open Badges 3.0-intyg.',
  'home.help': 'Öppna en intygslänk ({path}) för att se vem som utfärdade den och alla kontroller som visar att den är äkta.',
  'home.verify': 'Verifiera ett intyg',
  'verify.title': 'Verifiera ett intyg',
  'verify.description': 'Kontrollera ett Open Badges 3.0-intyg eller ett W3C Verifiable Credential.',
  'verify.paste': 'Klistra in intyget (JSON), en {jwt}-token eller en länk till ett intyg.',
  'verify.drop': 'Släpp en {json}-fil, ett bakat märke ({png}, {svg}) eller ett PDF-intyg med intyget bifogat här, eller välj en fil:',
  'verify.scan': 'Skanna en QR-kod med kameran',
  'verify.submit': 'Verifiera',
  'verify.server': 'Kontrollera på servern i stället',
  'verify.note': 'Med JavaScript påslaget kontrolleras inklistrad text och filer i din webbläsare: de lämnar den aldrig om du inte ber om en kontroll på servern, och då skickas bara intyget som tagits ur märket eller PDF:en, aldrig filen. Länkar kontrolleras alltid av den här servern, eftersom webbläsare inte får hämta andra webbplatsers sidor.',
  'verify.result': 'Resultat',
  'verify.js.askingServer': 'Frågar servern…',
  'verify.js.serverUnreachable': 'Servern kunde inte nås: {error}',
  'verify.js.empty': 'Klistra först in ett intyg, en vc+jwt eller en länk, eller släpp en fil.',
  'verify.js.fetchedLink': 'Kontrollerat av den här servern, som hämtade länken (webbläsare får inte hämta andra webbplatser).',
  'verify.js.notJson': 'Det här är inte giltig JSON: {error}',
  'verify.js.onRequest': 'Kontrollerat av den här servern, på din begäran.',
  'verify.js.checking': 'Kontrollerar i din webbläsare…',
  'verify.js.inBrowser': 'Kontrollerat i din webbläsare: inget skickades till servern.',
  'verify.js.browserFailed': 'Din webbläsare kunde inte kontrollera intyget ({error}). Prova ”Kontrollera på servern i stället”.',
  'verify.js.reading': 'Läser {file}…',
  'verify.js.cameraStarting': 'Startar kameran…',
  'verify.js.cameraUnavailable': 'Kameran är inte tillgänglig ({error}).',
  'verify.js.pointCamera': 'Rikta kameran mot QR-koden.',
  'verify.js.noQr': 'Ingen QR-kod hittades; försök igen närmare, eller klistra in länken.',
  'verify.js.qrRead': 'QR-koden lästes.',
};

const CATALOGS: Record<Locale, Record<MessageKey, string>> = {en, sv};

/** Whether `value` names a supported locale exactly (`en`, `sv`). */
export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** Whether the catalog has a key (e.g. `check.<CODE>` for a code from another version). */
export function hasMessage(key: string): key is MessageKey {
  return Object.prototype.hasOwnProperty.call(en, key);
}

/**
 * The message `key` in `locale`, with `{name}` placeholders filled from `vars`.
 * Unknown placeholders are left as written. The result is text, not HTML.
 */
export function t(locale: Locale, key: MessageKey, vars: Record<string, string | number> = {}): string {
  const template = (CATALOGS[locale] ?? en)[key] ?? en[key];
  return template.replace(/\{([a-zA-Z]+)\}/g, (m, name: string) => Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : m);
}

/**
 * A message with placeholders filled by rendered parts (links, code): splits the
 * template around `{name}` so a page can put markup there without putting markup
 * in the catalog. Returns the text pieces and the names in order.
 */
export function tParts(locale: Locale, key: MessageKey): (string | {slot: string})[] {
  const template = (CATALOGS[locale] ?? en)[key] ?? en[key];
  return template.split(/(\{[a-zA-Z]+\})/).filter(Boolean).map(p => /^\{[a-zA-Z]+\}$/.test(p) ? {slot: p.slice(1, -1)} : p);
}

/** A BCP 47 tag to one of our locales by its primary subtag (`sv-SE` → `sv`), or null. */
export function matchLocale(tag: string): Locale | null {
  const primary = tag.trim().toLowerCase().split(/[-_]/)[0];
  return isLocale(primary) ? primary : null;
}

/**
 * The best supported locale in an Accept-Language header (RFC 9110 §12.5.4): highest
 * q first, then the order written; `q=0` means "not acceptable"; `*` means any, i.e.
 * the default. Null when nothing matches.
 */
export function parseAcceptLanguage(header: string | undefined): Locale | null {
  if(!header) return null;
  const ranges = header.split(',').slice(0, 50).map((part, index) => {
    const [tag, ...params] = part.trim().split(';');
    const qParam = params.map(p => p.trim().toLowerCase()).find(p => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    return {tag: tag.trim(), q: Number.isFinite(q) ? q : 0, index};
  }).filter(r => r.tag && r.q > 0).sort((a, b) => b.q - a.q || a.index - b.index);
  for(const r of ranges) {
    if(r.tag === '*') return DEFAULT_LOCALE;
    const match = matchLocale(r.tag);
    if(match) return match;
  }
  return null;
}

/** The value of one cookie in a Cookie header (RFC 6265 §5.4), or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if(!header) return undefined;
  for(const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if(eq > 0 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return undefined;
}

/** What negotiation needs from a request (a FastifyRequest fits). */
export interface LocaleRequest {
  query?: unknown;
  headers: {cookie?: string; 'accept-language'?: string};
}

/** The `?lang=` value of a request when it names a supported locale. */
export function queryLocale(request: LocaleRequest): Locale | null {
  const lang = (request.query as Record<string, unknown> | undefined)?.lang;
  return typeof lang === 'string' ? matchLocale(lang) : null;
}

/**
 * The page locale: `?lang=` first, then the `lang` cookie, then Accept-Language
 * (q-values), else English. Pages that use it must send `Vary: Accept-Language, Cookie`
 * (`localeHeaders`).
 */
export function negotiateLocale(request: LocaleRequest): Locale {
  const fromQuery = queryLocale(request);
  if(fromQuery) return fromQuery;
  const cookie = readCookie(request.headers.cookie, LANG_COOKIE);
  if(cookie && isLocale(cookie)) return cookie;
  return parseAcceptLanguage(request.headers['accept-language']) ?? DEFAULT_LOCALE;
}

/**
 * Response headers for a localized page: `Vary`, and the `lang` cookie when the
 * visitor chose a language with `?lang=` (a year, SameSite=Lax, path /).
 */
export function localeHeaders(request: LocaleRequest, secure = false): Record<string, string> {
  const headers: Record<string, string> = {vary: 'Accept-Language, Cookie'};
  const chosen = queryLocale(request);
  if(chosen) {
    headers['set-cookie'] = `${LANG_COOKIE}=${chosen}; Path=/; Max-Age=31536000; SameSite=Lax${secure ? '; Secure' : ''}`;
  }
  return headers;
}

/** A date as the locale writes it, in UTC ("1 March 2026", "1 mars 2026"); '' for nothing, the input when unreadable. */
export function formatDate(locale: Locale, value: string | Date | null | undefined): string {
  if(value === null || value === undefined || value === '') return '';
  const d = value instanceof Date ? value : new Date(value);
  if(Number.isNaN(d.getTime())) return String(value);
  return d.toLocaleDateString(DATE_LOCALE[locale], {year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC'});
}

/** The plain-language line of a verification check code, or null for a code the catalog does not know. */
export function checkLine(locale: Locale, code: string): string | null {
  const key = `check.${code}`;
  return hasMessage(key) ? t(locale, key) : null;
}
