import { useRouteLoaderData } from "@remix-run/react";

/**
 * The portal's text, Japanese first with an English switch (a cookie, so it works without
 * JavaScript). Validation messages arrive as keys ("code" or "code:param") from the shared Zod
 * schema and are turned into sentences here, next to the field they belong to.
 */
export type Lang = "ja" | "en";
export const LANGS: readonly Lang[] = ["ja", "en"];

const ja = {
  "site.name": "引越しワンストップサービス",
  "site.footer": "マイナンバーカードを使ったオンライン手続（デモ環境）",
  "site.skip": "本文へ移動",
  "site.switchLanguage": "English",
  "site.switchLanguageLabel": "Switch to English",
  "site.loggedInAs": "{name} さん",
  "site.logout": "ログアウト",
  "site.home": "トップページへ戻る",

  "home.title": "引越しワンストップサービス",
  "home.intro1":
    "マイナンバーカードを使って、いまお住まいの市区町村への転出届と、引越し先の市区町村への転入予約を、オンラインでまとめて行えます。同じ市区町村の中での引越しは、転居予約ができます。",
  "home.intro2":
    "オンラインで手続をした後は、引越しをしてから14日以内に、マイナンバーカードを持って引越し先の市区町村の窓口へお越しください。窓口では予約の内容を使うため、転出証明書は必要ありません。",
  "home.bring": "ご用意いただくもの",
  "home.bring.card": "マイナンバーカード",
  "home.bring.authPin": "利用者証明用電子証明書の暗証番号（数字4桁）",
  "home.bring.signPin": "署名用電子証明書の暗証番号（英数字6〜16文字）",
  "home.login": "マイナンバーカードでログイン",
  "home.loginHint": "カードの読み取りと暗証番号の入力は、デジタル認証アプリの画面で行います。",
  "home.login.required": "この手続にはログインが必要です。マイナンバーカードでログインしてください。",
  "home.login.failed": "ログインできませんでした。もう一度お試しください。",
  "home.login.cancelled": "ログインを中止しました。",
  "home.login.limited": "ログインの試行が多すぎます。しばらく時間をおいてからお試しください。",
  "home.login.unavailable":
    "ただいまマイナンバーカードによるログインをご利用いただけません。しばらく時間をおいてからお試しください。",
  "home.login.loggedOut": "ログアウトしました。",
  "home.welcome": "{name} さん、ようこそ",
  "home.start": "手続を始める",
  "home.moveOut": "転出届・転入予約（ほかの市区町村へ引越す）",
  "home.relocation": "転居予約（同じ市区町村の中で引越す）",
  "home.applications": "あなたの申請",
  "home.noApplications": "申請はまだありません。",
  "home.col.receipt": "受付番号",
  "home.col.kind": "手続",
  "home.col.destination": "引越し先",
  "home.col.moveDate": "引越し予定日",
  "home.col.status": "状況",
  "home.draft": "下書き（未送信）",
  "home.continueDraft": "続きを入力",

  "kind.moveOut": "転出届・転入予約",
  "kind.relocation": "転居予約",

  "status.draft": "下書き",
  "status.received": "受付済み",
  "status.moveOutAccepted": "転出受理",
  "status.returned": "差戻し",
  "status.awaitingVisit": "来庁待ち",
  "status.completed": "完了",
  "status.cancelled": "取消済み",
  "status.expired": "期限切れ",
  "statusHelp.received": "申請を受け付けました。市区町村で内容を確認しています。",
  "statusHelp.moveOutAccepted": "転出届が受理されました。引越し先の市区町村で予約の準備をしています。",
  "statusHelp.returned": "申請が差し戻されました。理由をご確認のうえ、必要があれば改めて申請してください。",
  "statusHelp.awaitingVisit":
    "引越し先の市区町村で予約の準備ができました。来庁予定日に、マイナンバーカードを持って窓口へお越しください。",
  "statusHelp.completed": "窓口での手続が完了しました。",
  "statusHelp.cancelled": "この申請は取り消されました。",
  "statusHelp.expired":
    "期限までに窓口での手続がなかったため、この申請は無効になりました。窓口で手続をしてください。",

  "block.title": "オンラインでは申請できません",
  "block.under15":
    "15歳未満の方は署名用電子証明書をお持ちでないため、ご自身ではオンライン申請できません。同じ世帯の15歳以上の方が、あなたを「一緒に引越す人」に含めて申請できます。またはお住まいの市区町村の窓口で手続してください。",
  "block.noSignCert":
    "マイナンバーカードに署名用電子証明書が入っていないため、オンライン申請できません。お住まいの市区町村の窓口で署名用電子証明書の発行を受けるか、窓口で転出届を出してください。",
  "block.certExpired":
    "署名用電子証明書の有効期限が切れているため、オンライン申請できません。お住まいの市区町村の窓口で電子証明書を更新するか、窓口で転出届を出してください（転出証明書が交付されます）。",
  "block.certRevoked":
    "署名用電子証明書が失効しているため、オンライン申請できません。お住まいの市区町村の窓口で電子証明書の発行を受けるか、窓口で転出届を出してください。",
  "block.certLocked":
    "署名用電子証明書の暗証番号がロックされているため、オンライン申請できません。お住まいの市区町村の窓口で暗証番号の初期化をしてください。",
  "block.cardSuspended":
    "マイナンバーカードが一時停止されているため、オンライン申請できません。お住まいの市区町村の窓口にお問い合わせください。",
  "block.cardRevoked":
    "マイナンバーカードが廃止されているため、オンライン申請できません。お住まいの市区町村の窓口で手続してください。",
  "block.cardExpired":
    "マイナンバーカードの有効期限が切れているため、オンライン申請できません。お住まいの市区町村の窓口で手続してください。",
  "block.unknownOrigin":
    "マイナンバーカードの住所から、お住まいの市区町村を判別できませんでした。お住まいの市区町村の窓口で手続してください。",
  "block.unknown":
    "ただいまオンライン申請をご利用いただけません。お住まいの市区町村の窓口で手続してください。",

  "form.moveOut.title": "転出届・転入予約",
  "form.relocation.title": "転居予約",
  "form.moveOut.intro": "いまお住まいの市区町村への転出届と、引越し先の市区町村への転入予約を行います。",
  "form.relocation.intro": "同じ市区町村の中で引越す場合の、転居の予約を行います。",
  "form.requiredNote": "すべて必須です（「任意」とある項目を除く）。",
  "form.optional": "任意",
  "form.errorSummary": "入力内容を確認してください。",
  "form.filer": "申請する人（マイナンバーカードの情報）",
  "form.filer.name": "氏名",
  "form.filer.address": "現住所",
  "form.filer.birthDate": "生年月日",
  "form.move": "引越しの予定",
  "form.plannedMoveDate.moveOut": "転出予定日",
  "form.plannedMoveDate.relocation": "転居予定日",
  "form.plannedMoveDate.hint": "引越し予定日の30日前から申請できます。",
  "form.destination": "転出先の市区町村",
  "form.destination.hint":
    "市区町村名の一部（例：台東区、たいとう）を入力すると候補が表示されます。同じ名前の市町村があるときは都道府県名から入力してください。",
  "form.address": "引越し先の住所",
  "form.address.relocation": "転居先の住所",
  "form.town": "町名",
  "form.town.hint": "例：上野",
  "form.chome": "丁目",
  "form.chome.hint": "丁目のない町名では空欄にしてください。",
  "form.block": "番地（番）",
  "form.lot": "号",
  "form.building": "建物名・部屋番号",
  "form.people": "異動する人",
  "form.people.hint": "申請する人と一緒に引越す世帯員を入力してください。",
  "form.filerRow": "申請する人",
  "form.member": "一緒に引越す人 {n}",
  "form.member.add": "一緒に引越す人を追加",
  "form.member.remove": "この人を削除",
  "form.familyName": "氏",
  "form.givenName": "名",
  "form.familyKana": "氏（フリガナ）",
  "form.givenKana": "名（フリガナ）",
  "form.birthDate": "生年月日",
  "form.relationship": "新しい世帯主との続柄",
  "form.cardContinuedUse": "マイナンバーカードを引越し先で継続利用する",
  "form.household": "新しい世帯",
  "form.joinExisting": "引越し先ですでにある世帯に入る（その世帯の世帯主を入力）",
  "form.existingHeadFamilyName": "世帯主の氏",
  "form.existingHeadGivenName": "世帯主の名",
  "form.household.hint": "新しい世帯の世帯主になる人の続柄を「世帯主」にしてください。",
  "form.contact": "連絡先",
  "form.phone": "電話番号",
  "form.phone.hint": "例：03-1234-5678",
  "form.email": "メールアドレス",
  "form.visit": "来庁予定日",
  "form.plannedVisitDate": "引越し先の窓口に行く日",
  "form.plannedVisitDate.hint":
    "土日・祝日・年末年始（12月29日〜1月3日）を除く、引越しの日から14日以内の日を選んでください。",
  "form.next": "入力内容を確認する",
  "form.select": "選択してください",

  "rel.head": "世帯主",
  "rel.wife": "妻",
  "rel.husband": "夫",
  "rel.child": "子",
  "rel.father": "父",
  "rel.mother": "母",
  "rel.sibling": "兄弟姉妹",
  "rel.grandparent": "祖父母",
  "rel.grandchild": "孫",
  "rel.cohabitant": "同居人",
  "rel.other": "その他",

  "err.required": "入力してください。",
  "err.tooLong": "{p}文字以内で入力してください。",
  "err.date": "日付を「2026-12-01」の形で入力してください。",
  "err.number": "数字で入力してください。",
  "err.min": "{p}以上の数字を入力してください。",
  "err.max": "{p}以下の数字を入力してください。",
  "err.kana": "カタカナで入力してください。",
  "err.phone": "電話番号を「03-1234-5678」の形で入力してください。",
  "err.email": "メールアドレスの形式が正しくありません。",
  "err.maxMembers": "一緒に引越す人は{p}人まで入力できます。それより多い場合は窓口で手続してください。",
  "err.moveDate.tooEarly": "オンラインでの申請は引越し予定日の30日前からです。{p}以降に申請してください。",
  "err.moveDate.tooLate":
    "引越しの日から10日を過ぎているため、オンラインでは申請できません。お住まいの市区町村の窓口で手続してください。",
  "err.destination.notFound": "該当する市区町村が見つかりません。候補から選んでください。",
  "err.destination.ambiguous":
    "同じ名前の市区町村が複数あります。都道府県名から入力してください（例：東京都府中市）。",
  "err.destination.sameAsOrigin": "同じ市区町村の中での引越しは、転居予約をご利用ください。",
  "err.town.notInMunicipality": "この町名は引越し先の市区町村にありません。町名を確認してください。",
  "err.chome.required": "丁目を入力してください。",
  "err.chome.tooLarge": "この町名の丁目は{p}丁目までです。",
  "err.chome.none": "この町名には丁目がありません。空欄にしてください。",
  "err.household.oneHead": "新しい世帯の世帯主を1人だけ選んでください（続柄「世帯主」）。",
  "err.household.noHeadWhenJoining": "すでにある世帯に入る場合は、続柄に「世帯主」を選ばないでください。",
  "err.birthDate.future": "生年月日が未来の日付になっています。",
  "err.visit.notFuture": "明日以降の日を選んでください。",
  "err.visit.beforeMove": "来庁予定日は引越しの日以降にしてください。",
  "err.visit.tooLate": "来庁予定日は引越しの日から14日以内（{p}まで）にしてください。",
  "err.visit.weekend": "土曜日・日曜日は窓口が開いていません。平日を選んでください。",
  "err.visit.holiday": "祝日は窓口が開いていません。ほかの日を選んでください。",
  "err.visit.yearEnd": "年末年始（12月29日〜1月3日）は窓口が開いていません。ほかの日を選んでください。",

  "review.title": "入力内容の確認",
  "review.intro":
    "内容を確認して、「署名して送信」を押してください。次の画面で署名用電子証明書の暗証番号（英数字6〜16文字）を入力します。",
  "review.edit": "修正する",
  "review.sign": "署名して送信",
  "review.digest": "申請データの要約値（SHA-256）",
  "review.signing.cancelled": "署名を中止しました。申請はまだ送信されていません。",
  "review.signing.failed": "署名を確認できませんでした。もう一度「署名して送信」を押してください。",
  "review.householdHeadExisting": "引越し先の世帯主：{name}",
  "review.yes": "する",
  "review.no": "しない",

  "detail.title": "申請の状況",
  "detail.receiptNumber": "受付番号",
  "detail.submitted": "申請を送信しました。受付番号を控えておいてください。",
  "detail.status": "現在の状況",
  "detail.reason": "理由",
  "detail.history": "これまでの経過",
  "detail.cancel": "取り消す",
  "detail.cancel.confirm": "この申請を取り消しますか。取り消した申請は元に戻せません。",
  "detail.cancel.yes": "取消を確定する",
  "detail.cancel.no": "取り消さない",
  "detail.cancel.done": "申請を取り消しました。",
  "detail.cancel.tooLate": "窓口での手続が済んでいるため、取り消すことはできません。",
  "detail.submittedAt": "送信日時",
  "detail.back": "申請の一覧へ戻る",

  "reason.addressNotFound": "引越し先の住所が確認できませんでした。住所を確認して、改めて申請してください。",
  "reason.notResident":
    "お住まいの市区町村の住民基本台帳で、申請した方を確認できませんでした。窓口にお問い合わせください。",
  "reason.memberMismatch":
    "一緒に引越す人の情報が住民票と一致しませんでした。内容を確認して、改めて申請してください。",
  "reason.signatureInvalid": "電子署名を確認できませんでした。改めて申請してください。",
  "reason.certificateRevoked": "署名に使った電子証明書が失効していました。窓口で手続してください。",
  "reason.outsideWindow": "申請できる期間を過ぎていました。窓口で手続してください。",
  "reason.other": "詳しくは、お住まいの市区町村の窓口にお問い合わせください。",
  "reason.noRecordMatched":
    "お住まいの市区町村の住民基本台帳で、申請した方（または一緒に引越す方）を確認できませんでした。氏名・フリガナ・生年月日を確認して、改めて申請するか、窓口にお問い合わせください。",
  "reason.alreadyMoving":
    "申請した方（または一緒に引越す方）には、手続中の別の引越しがあります。先の申請が済むか取り消されてから、改めて申請してください。",
  "reason.certificateExpired":
    "署名に使った電子証明書の有効期限が切れていました。窓口で電子証明書を更新してから申請するか、窓口で手続してください。",
  "reason.householdRule":
    "世帯主や続柄の組み合わせが住民票の決まりに合いませんでした。内容を確認して、改めて申請してください。",
  "reason.destinationNotHosted":
    "引越し先の市区町村に申請を届けられませんでした。引越し先の窓口にお問い合わせください。",
  "reason.malformedApplication": "申請の内容を読み取れませんでした。改めて申請してください。",
  "reason.cancelRefusedCompleted": "窓口での手続が済んでいたため、取り消しはできませんでした。",

  "error.notFound": "ページが見つかりません",
  "error.notFoundText": "お探しのページは移動または削除された可能性があります。",
  "error.generic": "エラーが発生しました",
  "error.genericText": "しばらく時間をおいてから、もう一度お試しください。",
};

export type MessageKey = keyof typeof ja;

const en: Record<MessageKey, string> = {
  "site.name": "Moving One-Stop Service",
  "site.footer": "Online procedures with the My Number Card (demo)",
  "site.skip": "Skip to content",
  "site.switchLanguage": "日本語",
  "site.switchLanguageLabel": "日本語に切り替える",
  "site.loggedInAs": "{name}",
  "site.logout": "Log out",
  "site.home": "Back to the start page",

  "home.title": "Moving One-Stop Service",
  "home.intro1":
    "With your My Number Card you can file the notice of moving out (転出届) to your current municipality and reserve your moving in (転入予約) at the new one, online and in one go. For a move within the same municipality you can reserve the change of address (転居予約).",
  "home.intro2":
    "After filing online, visit the counter of your new municipality with your My Number Card within 14 days of moving. The counter uses your reservation, so no moving-out certificate is needed.",
  "home.bring": "What you need",
  "home.bring.card": "Your My Number Card",
  "home.bring.authPin": "The PIN of the user-authentication certificate (4 digits)",
  "home.bring.signPin": "The PIN of the signing certificate (6–16 letters and digits)",
  "home.login": "Log in with your My Number Card",
  "home.loginHint": "You read your card and enter your PIN in the Digital Authentication App.",
  "home.login.required": "Please log in with your My Number Card to continue.",
  "home.login.failed": "You could not be logged in. Please try again.",
  "home.login.cancelled": "The login was cancelled.",
  "home.login.limited": "Too many login attempts. Please wait a while and try again.",
  "home.login.unavailable":
    "Logging in with the My Number Card is not available right now. Please try again later.",
  "home.login.loggedOut": "You have logged out.",
  "home.welcome": "Welcome, {name}",
  "home.start": "Start a procedure",
  "home.moveOut": "Move-out notice and move-in reservation (moving to another municipality)",
  "home.relocation": "Change-of-address reservation (moving within your municipality)",
  "home.applications": "Your applications",
  "home.noApplications": "You have no applications yet.",
  "home.col.receipt": "Receipt number",
  "home.col.kind": "Procedure",
  "home.col.destination": "Moving to",
  "home.col.moveDate": "Moving date",
  "home.col.status": "Status",
  "home.draft": "Draft (not sent)",
  "home.continueDraft": "Continue",

  "kind.moveOut": "Move-out notice and move-in reservation",
  "kind.relocation": "Change-of-address reservation",

  "status.draft": "Draft",
  "status.received": "Received",
  "status.moveOutAccepted": "Move-out accepted",
  "status.returned": "Returned",
  "status.awaitingVisit": "Awaiting your visit",
  "status.completed": "Completed",
  "status.cancelled": "Cancelled",
  "status.expired": "Expired",
  "statusHelp.received": "Your application was received. The municipality is checking it.",
  "statusHelp.moveOutAccepted":
    "Your move-out notice was accepted. Your new municipality is preparing your reservation.",
  "statusHelp.returned": "Your application was returned. Please read the reason and apply again if needed.",
  "statusHelp.awaitingVisit":
    "Your reservation is ready at your new municipality. Please visit the counter with your My Number Card on the planned day.",
  "statusHelp.completed": "The procedure at the counter is complete.",
  "statusHelp.cancelled": "This application was cancelled.",
  "statusHelp.expired":
    "There was no visit to the counter in time, so this application has lapsed. Please file at the counter.",

  "block.title": "You cannot apply online",
  "block.under15":
    "People under 15 have no signing certificate and cannot apply online themselves. A household member aged 15 or over can include you as someone moving with them, or you can file at the counter of your municipality.",
  "block.noSignCert":
    "Your card holds no signing certificate, so you cannot apply online. Have one issued at your municipality's counter, or file the move-out notice there.",
  "block.certExpired":
    "Your signing certificate has expired, so you cannot apply online. Renew it at your municipality's counter, or file the move-out notice there (you will receive a moving-out certificate).",
  "block.certRevoked":
    "Your signing certificate has been revoked, so you cannot apply online. Have a new one issued at your municipality's counter, or file the move-out notice there.",
  "block.certLocked":
    "The PIN of your signing certificate is locked. Have it reset at your municipality's counter.",
  "block.cardSuspended":
    "Your My Number Card is suspended, so you cannot apply online. Please contact your municipality.",
  "block.cardRevoked":
    "Your My Number Card has been revoked, so you cannot apply online. Please file at your municipality's counter.",
  "block.cardExpired":
    "Your My Number Card has expired, so you cannot apply online. Please file at your municipality's counter.",
  "block.unknownOrigin":
    "Your municipality could not be determined from the address on your card. Please file at your municipality's counter.",
  "block.unknown":
    "Online applications are not available right now. Please file at your municipality's counter.",

  "form.moveOut.title": "Move-out notice and move-in reservation",
  "form.relocation.title": "Change-of-address reservation",
  "form.moveOut.intro":
    "File your move-out notice to your current municipality and reserve your move-in at the new one.",
  "form.relocation.intro": "Reserve your change of address within the same municipality.",
  "form.requiredNote": "All fields are required unless marked optional.",
  "form.optional": "optional",
  "form.errorSummary": "Please check your entries.",
  "form.filer": "Applicant (from your My Number Card)",
  "form.filer.name": "Name",
  "form.filer.address": "Current address",
  "form.filer.birthDate": "Date of birth",
  "form.move": "Your move",
  "form.plannedMoveDate.moveOut": "Planned moving-out date",
  "form.plannedMoveDate.relocation": "Planned moving date",
  "form.plannedMoveDate.hint": "You can apply from 30 days before your planned moving date.",
  "form.destination": "Municipality you are moving to",
  "form.destination.hint":
    "Type part of the name (e.g. 台東区) to see suggestions. Where two municipalities share a name, start with the prefecture.",
  "form.address": "New address",
  "form.address.relocation": "New address",
  "form.town": "Town (町名)",
  "form.town.hint": "e.g. 上野",
  "form.chome": "Chōme",
  "form.chome.hint": "Leave empty if the town has no chōme.",
  "form.block": "Block (番)",
  "form.lot": "Number (号)",
  "form.building": "Building and room",
  "form.people": "People moving",
  "form.people.hint": "Enter the household members who move with you.",
  "form.filerRow": "Applicant",
  "form.member": "Person moving with you {n}",
  "form.member.add": "Add a person moving with you",
  "form.member.remove": "Remove this person",
  "form.familyName": "Family name",
  "form.givenName": "Given name",
  "form.familyKana": "Family name (katakana)",
  "form.givenKana": "Given name (katakana)",
  "form.birthDate": "Date of birth",
  "form.relationship": "Relationship to the new head of household",
  "form.cardContinuedUse": "Keep using the My Number Card after moving",
  "form.household": "New household",
  "form.joinExisting": "Join an existing household at the new address (enter its head)",
  "form.existingHeadFamilyName": "Head's family name",
  "form.existingHeadGivenName": "Head's given name",
  "form.household.hint":
    "Set the relationship of the person who becomes the head of the new household to “Head of household”.",
  "form.contact": "Contact",
  "form.phone": "Telephone number",
  "form.phone.hint": "e.g. 03-1234-5678",
  "form.email": "E-mail address",
  "form.visit": "Planned visit",
  "form.plannedVisitDate": "Day you will visit the counter",
  "form.plannedVisitDate.hint":
    "A weekday that is not a national holiday or in the year-end closure (29 Dec – 3 Jan), within 14 days of moving.",
  "form.next": "Review your application",
  "form.select": "Choose",

  "rel.head": "Head of household",
  "rel.wife": "Wife",
  "rel.husband": "Husband",
  "rel.child": "Child",
  "rel.father": "Father",
  "rel.mother": "Mother",
  "rel.sibling": "Sibling",
  "rel.grandparent": "Grandparent",
  "rel.grandchild": "Grandchild",
  "rel.cohabitant": "Cohabitant",
  "rel.other": "Other",

  "err.required": "Please fill this in.",
  "err.tooLong": "Use at most {p} characters.",
  "err.date": "Enter the date as 2026-12-01.",
  "err.number": "Enter a number.",
  "err.min": "Enter {p} or more.",
  "err.max": "Enter {p} or less.",
  "err.kana": "Enter this in katakana.",
  "err.phone": "Enter the number as 03-1234-5678.",
  "err.email": "This is not a valid e-mail address.",
  "err.maxMembers": "You can add up to {p} people. For more, please file at the counter.",
  "err.moveDate.tooEarly":
    "You can apply online from 30 days before your moving date. Please apply on or after {p}.",
  "err.moveDate.tooLate":
    "More than 10 days have passed since you moved, so you cannot apply online. Please file at the counter.",
  "err.destination.notFound": "No such municipality. Please pick one of the suggestions.",
  "err.destination.ambiguous":
    "Several municipalities have this name. Start with the prefecture (e.g. 東京都府中市).",
  "err.destination.sameAsOrigin":
    "For a move within your municipality, use the change-of-address reservation.",
  "err.town.notInMunicipality": "This town does not exist in the municipality you are moving to.",
  "err.chome.required": "Enter the chōme.",
  "err.chome.tooLarge": "This town has chōme 1 to {p} only.",
  "err.chome.none": "This town has no chōme. Leave it empty.",
  "err.household.oneHead": "Choose exactly one head of the new household (relationship “Head of household”).",
  "err.household.noHeadWhenJoining": "When joining an existing household, do not choose “Head of household”.",
  "err.birthDate.future": "The date of birth is in the future.",
  "err.visit.notFuture": "Choose a day from tomorrow on.",
  "err.visit.beforeMove": "The visit must be on or after your moving date.",
  "err.visit.tooLate": "The visit must be within 14 days of moving (by {p}).",
  "err.visit.weekend": "The counter is closed on Saturdays and Sundays. Choose a weekday.",
  "err.visit.holiday": "The counter is closed on national holidays. Choose another day.",
  "err.visit.yearEnd": "The counter is closed from 29 December to 3 January. Choose another day.",

  "review.title": "Review your application",
  "review.intro":
    "Check the details and press “Sign and send”. On the next screen you enter the PIN of your signing certificate (6–16 letters and digits).",
  "review.edit": "Change",
  "review.sign": "Sign and send",
  "review.digest": "Digest of the application (SHA-256)",
  "review.signing.cancelled": "Signing was cancelled. Your application has not been sent.",
  "review.signing.failed": "The signature could not be confirmed. Please press “Sign and send” again.",
  "review.householdHeadExisting": "Head of the household at the new address: {name}",
  "review.yes": "Yes",
  "review.no": "No",

  "detail.title": "Application status",
  "detail.receiptNumber": "Receipt number",
  "detail.submitted": "Your application has been sent. Please note the receipt number.",
  "detail.status": "Current status",
  "detail.reason": "Reason",
  "detail.history": "History",
  "detail.cancel": "Cancel",
  "detail.cancel.confirm": "Cancel this application? This cannot be undone.",
  "detail.cancel.yes": "Yes, cancel it",
  "detail.cancel.no": "Keep it",
  "detail.cancel.done": "Your application was cancelled.",
  "detail.cancel.tooLate": "The counter has completed this application; it can no longer be cancelled.",
  "detail.submittedAt": "Sent at",
  "detail.back": "Back to your applications",

  "reason.addressNotFound": "The new address could not be confirmed. Please check it and apply again.",
  "reason.notResident": "You could not be found in your municipality's register. Please contact the counter.",
  "reason.memberMismatch":
    "The people moving with you did not match the register. Please check and apply again.",
  "reason.signatureInvalid": "The electronic signature could not be verified. Please apply again.",
  "reason.certificateRevoked": "The certificate used to sign had been revoked. Please file at the counter.",
  "reason.outsideWindow": "The application period had passed. Please file at the counter.",
  "reason.other": "Please contact your municipality's counter for details.",
  "reason.noRecordMatched":
    "You (or someone moving with you) could not be found in your municipality's register. Please check the names, readings and birth dates and apply again, or contact the counter.",
  "reason.alreadyMoving":
    "You (or someone moving with you) already have another move in progress. Apply again once it is completed or cancelled.",
  "reason.certificateExpired":
    "The certificate used to sign had expired. Renew it at the counter, or file at the counter.",
  "reason.householdRule":
    "The household head and relationships did not fit the register's rules. Please check and apply again.",
  "reason.destinationNotHosted":
    "The application could not be delivered to the municipality you are moving to. Please contact its counter.",
  "reason.malformedApplication": "The application could not be read. Please apply again.",
  "reason.cancelRefusedCompleted":
    "The counter had already completed this application, so it could not be cancelled.",

  "error.notFound": "Page not found",
  "error.notFoundText": "The page may have been moved or deleted.",
  "error.generic": "Something went wrong",
  "error.genericText": "Please try again in a little while.",
};

const dictionaries: Record<Lang, Record<MessageKey, string>> = { ja, en };

export function translate(lang: Lang, key: MessageKey, params: Record<string, string> = {}): string {
  const template = dictionaries[lang][key] ?? dictionaries.ja[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? "");
}

/** A validation message key from the schema ("visit.tooLate:2026-12-24") as a sentence. */
export function translateError(lang: Lang, code: string): string {
  const [name, param] = code.split(/:(.*)/s);
  const key = `err.${name}` as MessageKey;
  if (!(key in ja)) return code;
  return translate(lang, key, { p: param ?? "" });
}

export function isMessageKey(key: string): key is MessageKey {
  return key in ja;
}

export function langFromCookie(cookieHeader: string | null): Lang {
  const match = /(?:^|;\s*)lang=(ja|en)(?:;|$)/.exec(cookieHeader ?? "");
  return (match?.[1] as Lang | undefined) ?? "ja";
}

export interface RootData {
  lang: Lang;
  user: { name: string } | null;
  csrf: string | null;
}

/** The current language and a translator, from the root loader's data. */
export function useT(): { lang: Lang; t: (key: MessageKey, params?: Record<string, string>) => string } {
  const data = useRouteLoaderData("root") as RootData | undefined;
  const lang = data?.lang ?? "ja";
  return { lang, t: (key, params) => translate(lang, key, params) };
}
