import type { MetaFunction } from "@remix-run/node";

export const meta: MetaFunction = () => [{ title: "住民記録システム（窓口）" }];

export default function Index() {
  return (
    <>
      <h1>住民記録システム（窓口）</h1>
      <p>
        転入・転居・転出の届出、出生・死亡・世帯変更などの異動、住民票の写しの交付を、窓口で処理するための職員専用システムです。
        引越しワンストップサービスで受け付けた転入予約・転居予約も、ここで確認して処理します。
      </p>
      <p className="notice">
        職員ログインは準備中です。このシステムは庁内のマイナンバー利用事務系ネットワークからのみ利用できます。
      </p>
    </>
  );
}
