"""Secret detection for literals in `stack.yaml` (rule IC-SECRET-001).

Four detectors, in this order, the same families gitleaks and detect-secrets combine:

1. **Provider formats** (`RULES`): token shapes a provider documents or a maintained rule
   set encodes — each rule names its source. Most are distinctive prefixes (`ghp_`,
   `glpat-`, `SG.`, `AIza`, `xoxb-`, `sk_live_`, `-----BEGIN … PRIVATE KEY-----`); a few
   weak shapes only count next to a keyword (`context`), as in gitleaks (a UUID is a Heroku
   key only when "heroku" names it; 32/40 hex is a Datadog key only next to "datadog"/`DD_`).
2. **Embedded credentials** in URLs, `scheme://user:password@host` (detect-secrets
   ``BasicAuthDetector``), and `Authorization: Bearer|Basic …` values.
3. **Credential by name**: a literal assigned to a name such as `DB_PASSWORD`, `API_TOKEN`,
   `STRIPE_SECRET` or `--password` (detect-secrets ``KeywordDetector`` deny list plus
   TOKEN/CREDENTIAL, gitleaks ``generic-api-key`` for the weaker words KEY/AUTH/CREDS:
   entropy ≥ 3.5 and not letters-only). Inside free text (`sh -c "…"`, descriptions) the
   same words followed by `=`/`:` and a value that is not a plain word.
4. **Shannon entropy** (detect-secrets ``Base64HighEntropyString`` / ``HexHighEntropyString``
   with their default limits): a run of base64 characters of ≥ 20 with ≥ 4.5 bits/char, or of
   hex digits of ≥ 32 with ≥ 3.0 bits/char.

Not secrets, by decision (each has a test):

- `${component.output}` placeholders, `$NAME` shell variables, `<placeholder>` text;
- image references and digests (`nginx:1.27`, `repo@sha256:<hex>`): only provider formats
  are looked for there, never entropy — tags are often commit hashes;
- hex after `sha1:`/`sha256:`/`sha512:`, and values of names that say digest/checksum/commit;
- UUIDs: ids, as detect-secrets' ``is_potential_uuid`` filter treats them (dashes keep
  them below the entropy limit); a UUID next to "heroku" is a Heroku API key;
- cron strings, paths, URLs without a password, ordinary words and sentences;
- pointers to a secret store (`arn:aws:secretsmanager:…`, `arn:aws:ssm:…`) and names that
  describe a secret rather than hold it (`TOKEN_TTL`, `PASSWORD_FILE`, `SECRET_NAME`,
  `API_KEY_HEADER`…).

Flagged on purpose: AWS access key ids and Twilio SIDs (they travel with their secret;
gitleaks flags them too), and any long random value, even a public one (entropy cannot tell).
Not caught: random values shorter than about 24 characters with no telling name or
format — 4.5 bits/char needs at least 23 distinct characters, as in detect-secrets.

Sources: gitleaks default rules, https://github.com/gitleaks/gitleaks/blob/master/config/gitleaks.toml
(cited below as ``gitleaks:<rule id>``); detect-secrets plugins,
https://github.com/Yelp/detect-secrets/tree/master/detect_secrets/plugins (``detect-secrets:<module>``);
provider documentation where named.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

__all__ = ["RULES", "Rule", "find_format", "find_secret", "shannon_entropy"]


@dataclass(frozen=True)
class Rule:
    label: str
    """What the finding is, as a noun phrase: "a GitHub token"."""
    regex: str
    source: str
    """Where the format comes from."""
    context_regex: str | None = None
    """When set, the rule only counts when this (case-insensitive) matches the name the value is
    assigned to, or the text just before the match."""
    min_entropy: float = 0.0
    """Entropy floor for the matched text (weak shapes only)."""
    needles: tuple[str, ...] = ()
    """Literal text every match contains (one of them): a fast pre-check before the regex."""

    # Compiled on first use (`re` keeps compiled patterns in its own cache): compiling all the
    # rules at import cost ~40 ms of every cold process, and most values never get past the
    # needles (issue #14).
    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(self.regex)

    @property
    def context(self) -> re.Pattern[str] | None:
        return re.compile(self.context_regex, re.I) if self.context_regex is not None else None


def _r(label: str, needles: str, pattern: str, source: str, context: str | None = None, min_entropy: float = 0.0) -> Rule:
    return Rule(label, pattern, source, context, min_entropy, tuple(needles.split()))


_END = r"(?![A-Za-z0-9_])"  # a token ends where its alphabet ends
_B64 = r"A-Za-z0-9+/"

RULES: tuple[Rule, ...] = (
    # --- cloud providers -------------------------------------------------------------------
    _r("an AWS access key id", "A3T AKIA ASIA ABIA ACCA", r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b",
       "gitleaks:aws-access-token; detect-secrets:aws (AKIA long-term, ASIA temporary; "
       "https://docs.aws.amazon.com/IAM/latest/UserGuide/security-creds.html)"),
    _r("an AWS secret access key", "", rf"(?<![{_B64}])[{_B64}]{{40}}(?![{_B64}=])",
       "detect-secrets:aws (40 base64 characters named aws…secret)",
       context=r"aws.{0,20}?secret|secret.?access.?key", min_entropy=3.5),
    _r("an Azure storage account key", "AccountKey=", rf"AccountKey=[{_B64}]{{86}}==",
       "detect-secrets:azure_storage_key; https://learn.microsoft.com/azure/storage/common/storage-configure-connection-string"),
    _r("an Azure shared access key", "SharedAccessKey=", rf"SharedAccessKey=[{_B64}]{{43}}=",
       "https://learn.microsoft.com/azure/service-bus-messaging/service-bus-sas (connection string SharedAccessKey)"),
    _r("an Azure AD client secret", "Q~", r"(?<![A-Za-z0-9_~.])[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])",
       "gitleaks:azure-ad-client-secret"),
    _r("a Google API key", "AIza", rf"\bAIza[0-9A-Za-z_-]{{35}}{_END}",
       "gitleaks:gcp-api-key; https://cloud.google.com/docs/authentication/api-keys"),
    _r("a Google OAuth client secret", "GOCSPX-", rf"\bGOCSPX-[0-9A-Za-z_-]{{28}}{_END}",
       "https://developers.google.com/identity/protocols/oauth2 (client secrets prefixed GOCSPX-)"),
    _r("an Alibaba Cloud access key id", "LTAI", rf"\bLTAI[0-9A-Za-z]{{20}}{_END}", "gitleaks:alibaba-access-key-id"),
    _r("a DigitalOcean token", "_v1_", rf"\bdo[opr]_v1_[a-f0-9]{{64}}{_END}",
       "gitleaks:digitalocean-pat / -access-token / -refresh-token"),
    _r("a Heroku API key", "HRKU-AA", rf"\bHRKU-AA[0-9A-Za-z_-]{{58}}{_END}", "gitleaks:heroku-api-key-v2"),
    _r("a Heroku API key", "-", r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",
       "gitleaks:heroku-api-key (a UUID next to the word heroku)", context=r"heroku"),
    _r("a Databricks token", "dapi", r"\bdapi[a-f0-9]{32}(?:-\d)?\b", "gitleaks:databricks-api-token"),
    _r("a HashiCorp Vault token", "hvs. hvb. hvr.", rf"\bhv[sbr]\.[A-Za-z0-9_-]{{24,1024}}{_END}",
       "gitleaks:vault-service-token / vault-batch-token; "
       "https://developer.hashicorp.com/vault/docs/concepts/tokens#token-prefixes"),
    _r("a Terraform Cloud token", ".atlasv1.", r"\b[a-z0-9]{14}\.atlasv1\.[a-z0-9_=-]{60,70}(?![a-z0-9_=-])", "gitleaks:hashicorp-tf-api-token"),
    _r("a Pulumi token", "pul-", r"\bpul-[a-f0-9]{40}\b", "gitleaks:pulumi-api-token"),
    _r("a Doppler token", "dp.pt.", rf"\bdp\.pt\.[A-Za-z0-9]{{43}}{_END}", "gitleaks:doppler-api-token"),
    _r("a Fly.io token", "fo1_", rf"\bfo1_[\w-]{{43}}{_END}", "gitleaks:flyio-access-token"),
    _r("an OpenShift token", "sha256~", rf"\bsha256~[\w-]{{43}}{_END}", "gitleaks:openshift-user-token"),
    # --- source hosting and package registries ------------------------------------------------
    _r("a GitHub token", "ghp_ gho_ ghu_ ghs_ ghr_", rf"\bgh[pousr]_[A-Za-z0-9]{{36,1024}}{_END}",
       "gitleaks:github-pat / github-oauth / github-app-token / github-refresh-token; "
       "https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/"),
    _r("a GitHub fine-grained token", "github_pat_", rf"\bgithub_pat_[A-Za-z0-9_]{{50,1024}}{_END}",
       "gitleaks:github-fine-grained-pat (github_pat_ + 22 + _ + 59)"),
    _r("a GitLab token", "glpat- gldt- glrt- glft- glsoat- glptt- glcbt- glimt- glagent- gloas- glffct-", r"\bgl(?:pat|dt|rt|ft|soat|ptt|cbt|imt|agent|oas|ffct)-[A-Za-z0-9_-]{20,1024}",
       "gitleaks:gitlab-pat / -deploy-token / -runner-authentication-token / …; detect-secrets:gitlab_token; "
       "https://docs.gitlab.com/security/tokens/#token-prefixes"),
    _r("a GitLab runner registration token", "GR1348941", r"\bGR1348941[\w-]{20,1024}", "gitleaks:gitlab-rrt"),
    _r("an npm token", "npm_", rf"\bnpm_[A-Za-z0-9]{{36}}{_END}", "gitleaks:npm-access-token; detect-secrets:npm"),
    _r("a PyPI token", "pypi-AgE", r"\bpypi-AgE[A-Za-z0-9_-]{50,1024}", "gitleaks:pypi-upload-token; detect-secrets:pypi_token"),
    _r("a RubyGems token", "rubygems_", r"\brubygems_[a-f0-9]{48}\b", "gitleaks:rubygems-api-token"),
    _r("a Hugging Face token", "hf_ api_org_", rf"\b(?:hf_|api_org_)[A-Za-z]{{34}}{_END}", "gitleaks:huggingface-access-token"),
    _r("a Postman API key", "PMAK-", r"\bPMAK-[a-f0-9]{24}-[a-f0-9]{34}\b", "gitleaks:postman-api-token"),
    _r("a Linear API key", "lin_api_", rf"\blin_api_[A-Za-z0-9]{{40}}{_END}", "gitleaks:linear-api-key"),
    _r("a Grafana token", "glsa_ glc_ eyJrIjoi", rf"\b(?:glsa_[A-Za-z0-9]{{32}}_[A-Fa-f0-9]{{8}}|glc_[{_B64}]{{32,400}}={{0,3}}|eyJrIjoi[A-Za-z0-9]{{70,400}}={{0,3}})",
       "gitleaks:grafana-service-account-token / -cloud-api-token / -api-key"),
    _r("a Sentry token", "sntryu_ sntrys_", r"\bsntry[us]_[A-Za-z0-9+/=_]{40,1024}", "gitleaks:sentry-user-token / sentry-org-token"),
    _r("a New Relic key", "NRAK- NRII- NRJS-", r"\bNR(?:AK|II|JS)-[A-Za-z0-9-]{19,32}(?![A-Za-z0-9_-])", "gitleaks:new-relic-user-api-key / -insert-key / -browser-api-token"),
    _r("a Dynatrace token", "dt0c01.", r"\bdt0c01\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64}\b", "gitleaks:dynatrace-api-token"),
    _r("a 1Password service account token", "ops_eyJ", rf"\bops_eyJ[{_B64}]{{250,1024}}", "gitleaks:1password-service-account-token"),
    _r("an age secret key", "AGE-SECRET-KEY-1", r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}", "gitleaks:age-secret-key"),
    # --- chat, mail, payments -------------------------------------------------------------
    _r("a Slack token", "xox", r"\bxox[abposre]-[A-Za-z0-9-]{10,1024}",
       "gitleaks:slack-bot-token / slack-user-token / slack-legacy-*; detect-secrets:slack; "
       "https://api.slack.com/concepts/token-types"),
    _r("a Slack app token", "xapp-", r"\bxapp-\d-[A-Za-z0-9]+-\d+-[A-Za-z0-9]+", "gitleaks:slack-app-token"),
    _r("a Slack webhook URL", "hooks.slack.com/", r"hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{20,1024}",
       "gitleaks:slack-webhook-url; detect-secrets:slack"),
    _r("a Discord webhook URL", "/api/webhooks/", r"discord(?:app)?\.com/api/webhooks/\d+/[A-Za-z0-9_-]{30,1024}",
       "https://discord.com/developers/docs/resources/webhook (the URL carries the webhook token)"),
    _r("a Discord bot token", ".", r"\b[MNO][A-Za-z\d_-]{23,27}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27,40}(?![A-Za-z\d_-])",
       "detect-secrets:discord"),
    _r("a Telegram bot token", ":A", rf"\b\d{{5,16}}:A[A-Za-z0-9_-]{{34}}{_END}",
       "gitleaks:telegram-bot-api-token; detect-secrets:telegram_token; https://core.telegram.org/bots/api#authorizing-your-bot"),
    _r("a Stripe key", "_live_ _test_ _prod_", rf"\b(?:sk|rk)_(?:live|test|prod)_[A-Za-z0-9]{{10,99}}{_END}",
       "gitleaks:stripe-access-token; detect-secrets:stripe; https://docs.stripe.com/keys"),
    _r("a Stripe webhook secret", "whsec_", rf"\bwhsec_[A-Za-z0-9]{{24,1024}}{_END}",
       "https://docs.stripe.com/webhooks#verify-events (signing secrets start whsec_)"),
    _r("a Shopify token", "shpat_ shpca_ shppa_ shpss_", r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b",
       "gitleaks:shopify-access-token / -custom-access-token / -private-app-access-token / -shared-secret"),
    _r("a Square token", "sq0atp- sq0csp-", r"\bsq0(?:atp|csp)-[A-Za-z0-9_-]{22,1024}", "gitleaks:square-access-token; detect-secrets:square_oauth"),
    _r("a SendGrid API key", "SG.", r"\bSG\.[A-Za-z0-9_-]{16,1024}\.[A-Za-z0-9_-]{16,1024}",
       "gitleaks:sendgrid-api-token; detect-secrets:sendgrid (SG. + 22 + . + 43)"),
    _r("a Twilio API key", "SK", r"\bSK[0-9a-fA-F]{32}\b", "gitleaks:twilio-api-key; detect-secrets:twilio", min_entropy=3.0),
    _r("a Twilio account SID", "AC", r"\bAC[0-9a-f]{32}\b", "detect-secrets:twilio", min_entropy=3.0),
    _r("a Mailgun API key", "key-", r"\b(?:pub)?key-[0-9a-f]{32}\b", "gitleaks:mailgun-private-api-token / mailgun-pub-key"),
    _r("a Mailchimp API key", "-us", r"\b[0-9a-f]{32}-us\d{1,2}\b", "gitleaks:mailchimp-api-key; detect-secrets:mailchimp"),
    # --- AI providers ----------------------------------------------------------------------
    _r("an Anthropic API key", "sk-ant-", r"\bsk-ant-(?:api|admin|oat|ort)\d\d-[A-Za-z0-9_-]{20,1024}",
       "gitleaks:anthropic-api-key / anthropic-admin-api-key"),
    _r("an OpenAI API key", "sk-", rf"\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{{20,1024}}"
       rf"|\bsk-[A-Za-z0-9]{{20}}T3BlbkFJ[A-Za-z0-9]{{20}}{_END}|\bsk-[A-Za-z0-9]{{48}}{_END}",
       "gitleaks:openai-api-key; detect-secrets:openai (T3BlbkFJ is base64 of 'OpenAI')"),
    # --- context-only shapes ----------------------------------------------------------------
    _r("a Datadog key", "", r"(?<![A-Za-z0-9])(?:[a-f0-9]{32}|[a-z0-9]{40})(?![A-Za-z0-9])",
       "gitleaks:datadog-access-token (API key 32 hex, application key 40)", context=r"datadog|(?<![a-z0-9])dd_",
       min_entropy=3.0),
    # --- keys and tokens in standard encodings -------------------------------------------------
    _r("a private key", "-----BEGIN", r"-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----",
       "gitleaks:private-key; detect-secrets:private_key (RFC 7468 PEM labels)"),
    _r("a JSON Web Token", "eyJ", r"\beyJ[A-Za-z0-9_-]{10,512}\.eyJ[A-Za-z0-9_-]{10,1024}\.(?:[A-Za-z0-9_-]{10,1024})?",
       "gitleaks:jwt; detect-secrets:jwt (RFC 7519: base64url header and payload both start eyJ)"),
)

_SHORTEST = 15  # no format above matches fewer characters (`xoxb-` + 10)

# `scheme://user:password@host`, password not a placeholder or variable (detect-secrets:basic_auth).
_URL_CREDENTIALS = re.compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,30}://[^\s/@:]{0,256}:([^\s/@]{1,256})@")
_AUTH_HEADER = re.compile(r"(?i)\b(?:bearer|basic|token)[ \t]{1,8}([A-Za-z0-9._~+/-]{16,1024}={0,2})")
_AUTH_CONTEXT = re.compile(r"(?i)authorization|bearer")

# Names that hold a credential: any literal counts. Detect-secrets KeywordDetector deny list
# (password, passwd, pwd, secret, api/auth/private/… key) plus TOKEN, CREDENTIAL, PASSPHRASE.
_STRONG = re.compile(r"(PASSWORD|PASSWD|PASSPHRASE|PWD|SECRET|TOKEN|API_?KEY|AUTH_?KEY|PRIVATE_?KEY|ACCESS_?KEY"
                     r"|SECRET_?KEY|SIGNING_?KEY|ENCRYPTION_?KEY|MASTER_?KEY|CLIENT_?KEY|CREDENTIALS?)S?(?![A-Z])")
# Weaker words (gitleaks generic-api-key): a literal counts only when it looks random.
_WEAK = re.compile(r"(?<![A-Z])(KEY|AUTH|CREDS|ACCESS|PASS)S?(?![A-Z])")
# Names that describe a credential instead of holding it (last word of the name).
_META = frozenset({
    "TTL", "TIMEOUT", "LENGTH", "LEN", "SIZE", "EXPIRY", "EXPIRES", "EXPIRATION", "LIFETIME", "AGE",
    "SECONDS", "MINUTES", "HOURS", "DAYS", "FILE", "PATH", "DIR", "URL", "URI", "ENDPOINT", "HOST", "PORT",
    "REGION", "HEADER", "ALGORITHM", "ALG", "ISSUER", "AUDIENCE", "ENABLED", "DISABLED", "ARN", "NAME",
    "TYPE", "FORMAT", "MODE", "VERSION", "ROTATION", "COUNT", "LIMIT", "MIN", "MAX", "PREFIX", "SUFFIX",
    "FIELD", "PARAM", "COOKIE", "ID", "IDS", "POLICY", "STORE", "PROVIDER", "SOURCE", "REF",
})
# gitleaks generic-api-key allowlist, the parts that apply to names.
_WEAK_ALLOW = re.compile(r"(PRIMARY|PARTITION|SORT|PUBLIC|PUB|BUCKET|SCHEMA|IDX|FOREIGN|SEQUENCE|CACHE|HASH|RANGE)_?KEY"
                         r"|KEY_?(ALIAS|BOARD|CODE|MAP|PAIR|RING|SIZE|SPACE)|ACCESS_?(LOG|LEVEL|MODE|CONTROL|POINT)|AUTHOR")
_NOT_A_VALUE = re.compile(r"(?i)^(true|false|yes|no|on|off|none|null|nil|disabled|enabled|required|optional)$")
_STORE_POINTER = re.compile(r"^arn:aws[\w-]*:(secretsmanager|ssm|kms):|^(ssm|vault|secretsmanager|sm)://")
_WORD = re.compile(r"^[A-Za-z][a-z]*[.,;:!?]?$")
_TEMPLATE = re.compile(r"^(\$|<.*>$|\{\{|%\(|%s$|\*+$|x+$|\.\.\.$)", re.I)

# `password=…`, `--api-key: …`, `DB_PASSWORD=…` inside free text: a keyword, the rest of the name
# around it, then `=` or `:` and a value. Found keyword-first so long values scan in linear time.
_KEYWORD = re.compile(r"(?i)password|passwd|passphrase|pwd|secret|token|api[_-]?key|auth[_-]?key|access[_-]?key"
                      r"|private[_-]?key|credential")
_NAME_HEAD = re.compile(r"[A-Za-z0-9_.-]{1,40}\Z")  # searched with endpos: the name part before the keyword
_NAME_TAIL = re.compile(r"[A-Za-z0-9_-]{0,40}")
_ASSIGN = re.compile(r"[\"']?[ \t]{0,8}[=:][ \t]{0,8}[\"']?([^\s\"'`&;,)]{1,256})")

# Entropy: detect-secrets defaults (Base64HighEntropyString limit 4.5, HexHighEntropyString 3.0).
_B64_RUN = re.compile(r"[A-Za-z0-9+/_-]{20,}={0,2}")
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_HASH_PREFIX = re.compile(r"(?i)(sha1|sha224|sha256|sha384|sha512|md5|blake2b)[:~]$")
_DIGEST_NAME = re.compile(r"(?i)(DIGEST|CHECKSUM|SHA\d*|HASH|COMMIT|REVISION|GIT_REV|ETAG)S?$")
B64_LIMIT, B64_MIN = 4.5, 20
HEX_LIMIT, HEX_MIN = 3.0, 32


def shannon_entropy(text: str) -> float:
    """Bits per character of `text` over its own character frequencies (as detect-secrets).

    >>> round(shannon_entropy("aaaa"), 2), round(shannon_entropy("abcd"), 2)
    (0.0, 2.0)
    """
    if not text:
        return 0.0
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in Counter(text).values())


def find_format(value: str, key: str | None = None) -> str | None:
    """Label of the first provider format found in `value`; `key` is the name it is assigned to."""
    if len(value) < _SHORTEST:
        return None
    for rule in RULES:
        if rule.needles and not any(n in value for n in rule.needles):
            continue
        context = rule.context
        if context is not None and not ((key and context.search(key)) or context.search(value)):
            continue
        for match in rule.pattern.finditer(value):
            if context is not None and not (
                    (key and context.search(key)) or context.search(value[max(0, match.start() - 40):match.start()])):
                continue
            if rule.min_entropy and shannon_entropy(match.group(0)) < rule.min_entropy:
                continue
            return rule.label
    return None


def find_secret(value: str, key: str | None = None, *, formats_only: bool = False) -> str | None:
    """What `value` looks like when it looks like a secret ("a SendGrid API key"), else None.

    `key` is the user-chosen name the value is assigned to — an env var, a tag key, the
    `--flag` before a command argument — or None for free text. `formats_only` skips the
    name, keyword and entropy checks (names, ids, image references: tags are often hashes).

    >>> find_secret("SG." + "a1B2" * 6 + "." + "c3D4" * 11)
    'a SendGrid API key'
    >>> find_secret("postgres://${db.host}:5432/app") is None
    True
    """
    if not value:
        return None
    label = find_format(value, key)
    if label:
        return label
    if _url_credentials(value):
        return "a URL with an embedded password"
    for match in _AUTH_HEADER.finditer(value):
        if _AUTH_CONTEXT.search(value[:match.start()] + (key or "")) and not _TEMPLATE.match(match.group(1)):
            return "an HTTP Authorization credential"
    if formats_only:
        return None
    if key is not None:
        label = _by_name(key, value)
        if label:
            return label
    label = _keyword_in_text(value)
    if label:
        return label
    return _high_entropy(value, key)


def _url_credentials(value: str) -> bool:
    for match in _URL_CREDENTIALS.finditer(value):
        password = match.group(1)
        if not (password.startswith("$") or _TEMPLATE.match(password) or "${" in password):
            return True
    return False


def _words(name: str) -> str:
    """``dbPassword`` / ``db-password`` / ``DB_PASSWORD`` → ``DB_PASSWORD``."""
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").upper()


def _describes(words: str) -> bool:
    """The name is about a credential (its TTL, file, header…), not the credential itself."""
    return words.rsplit("_", 1)[-1] in _META


def _by_name(key: str, value: str) -> str | None:
    words = _words(key)
    text = value.strip()
    if not text or "${" in text or _describes(words) or _NOT_A_VALUE.match(text) or _STORE_POINTER.match(text):
        return None
    if text.startswith("/") or _TEMPLATE.match(text):  # a path to a mounted secret, a variable
        return None
    if _STRONG.search(words):
        return "a credential (by its name)"
    if (_WEAK.search(words) and not _WEAK_ALLOW.search(words) and len(text) >= 10
            and not re.fullmatch(r"[A-Za-z_.-]+", text) and not re.search(r"\s", text)
            and shannon_entropy(text) >= 3.5):
        return "a credential (by its name)"
    return None


def _keyword_in_text(value: str) -> str | None:
    if ("=" not in value and ":" not in value) or _STORE_POINTER.match(value.strip()):
        return None
    for match in _KEYWORD.finditer(value):
        head = _NAME_HEAD.search(value, max(0, match.start() - 40), match.start())
        start = head.start() if head else match.start()
        tail = _NAME_TAIL.match(value, match.end())
        assert tail is not None  # `{0,40}` matches the empty string too
        end = tail.end()
        assigned = _ASSIGN.match(value, end)
        if assigned is None:
            continue
        name, secret = value[start:end], assigned.group(1)
        if _describes(_words(name)) or len(secret) < 4 or "${" in secret or secret.startswith("/"):
            continue
        if _TEMPLATE.match(secret) or _WORD.match(secret) or _NOT_A_VALUE.match(secret) or _STORE_POINTER.match(secret):
            continue
        if re.fullmatch(r"[0-9]+[smhd]?", secret):  # `token_ttl: 3600`, `timeout: 30s`
            continue
        return "a credential (by its name)"
    return None


def _high_entropy(value: str, key: str | None) -> str | None:
    hex_exempt = key is not None and _DIGEST_NAME.search(_words(key))
    for match in _B64_RUN.finditer(value):
        token = match.group(0)
        if _HASH_PREFIX.search(value[max(0, match.start() - 8):match.start()]):
            continue
        if _HEX.match(token):
            if hex_exempt or len(token) < HEX_MIN or token.isdigit():
                continue
            if shannon_entropy(token) >= HEX_LIMIT:
                return "a high-entropy hex string"
            continue
        if len(token) >= B64_MIN and shannon_entropy(token) >= B64_LIMIT and not _is_sequential(token):
            return "a high-entropy string"
    return None


_SEQUENCES = ("ABCDEFGHIJKLMNOPQRSTUVWXYZ" * 2 + "0123456789+/", "0123456789" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" * 2 + "+/",
              ("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") * 2)


def _is_sequential(token: str) -> bool:
    # detect-secrets filters.heuristic.is_sequential_string: `ABCDEF…` is a fixture, not a key.
    upper = token.upper()
    return any(upper in seq for seq in _SEQUENCES)
