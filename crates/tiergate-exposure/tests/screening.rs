//! Screening through the party registry, at the level of the pipeline: names that SQL would misread (quotes,
//! backslashes) are flagged with their own evidence; a party headquartered outside Tier 3 is not; without a ledger
//! nothing is screened.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use tiergate_core::builtin;
use tiergate_core::party::party_key;
use tiergate_core::registry::{Party, Registry};
use tiergate_exposure::screening::{Flag, Role};
use tiergate_exposure::{compute, read_csv, Against, Query, Screen, Screening, Session, Source, Wants};
use time::macros::date;

fn party(name: &str, hq: &str, parent: Option<&str>, countries: &tiergate_core::Countries) -> Party {
    Party {
        key: party_key(name).unwrap(),
        name: name.to_owned(),
        aliases: Vec::new(),
        ultimate_parent: parent.map(str::to_owned),
        headquarters: countries.resolve(hq),
        owners: Vec::new(),
        merged: Vec::new(),
    }
}

/// A flagged counterparty as the test compares it: name, role, flags, evidence lines.
type Seen<'a> = (&'a str, Role, &'a [Flag], Vec<Option<i64>>);

/// The screening of `flows` grouped by tier, under `pack` on 2026-06-01.
async fn run(pack: &tiergate_core::Pack, flows: &str, against: Against<'_>) -> Screening {
    let day = date!(2026 - 06 - 01);
    let query = Query::from_params("tier", None, None, &pack.countries).unwrap();
    let session = Session::new(pack, day).await.unwrap();
    let (batches, report) = read_csv(flows.as_bytes(), None, &pack.countries).unwrap();
    let wants = Wants { screening: Some(Screen { against, pack, date: day }), ..Wants::default() };
    compute(&session, Source::Read(batches, report), &pack.countries, &query, wants).await.unwrap().screening.unwrap()
}

#[tokio::test]
async fn registry_flags_come_with_the_flows_that_name_them() {
    let countries = builtin::countries().unwrap();
    let pack = builtin::pack(countries.clone()).unwrap();
    let flows = "period,exporter,importer,product,value_usd,supplier,customer,customer_parent\n\
                 2025,US,MY,854231,10,Acme,O'Neil \\ Sons' Trading,\n\
                 2025,US,MY,854231,30,Acme,O'Neil \\ Sons' Trading,\n\
                 2025,US,SG,854231,20,Acme,Marina Compute,\n\
                 2025,US,DE,854231,5,Acme,Rhein DC,\n\
                 2025,US,VN,854231,7,\"Macau Parts ' Ltd\",Hanoi Boards,\n";
    let registry = Registry::new(vec![
        party("O'Neil \\ Sons' Trading", "CN", None, &countries),
        party("Macau Parts ' Ltd", "MO", None, &countries),
        party("Marina Compute", "SG", Some("Harbour Holdings"), &countries),
        party("Harbour Holdings", "HK", None, &countries),
        party("Rhein DC", "DE", Some("Berlin Holdings"), &countries),
        party("Berlin Holdings", "DE", None, &countries),
    ]);
    let none = run(&pack, flows, Against::NoLedger).await;
    assert!(!none.screened && none.registry_parties.is_none() && none.flagged.is_empty());
    assert_eq!((none.names, none.names_screened), (6, 0));

    let s = run(&pack, flows, Against::Ledger { lists: None, registry: &registry, warnings: Vec::new() }).await;
    assert_eq!((s.names, s.names_screened, s.registry_parties), (6, 6, Some(6)));
    let got: Vec<Seen<'_>> = s
        .flagged
        .iter()
        .map(|f| (f.name.as_str(), f.role, f.flags.as_slice(), f.evidence.iter().map(|e| e.line).collect()))
        .collect();
    // Hong Kong is treated as China (D:5), so a parent there is Tier 3; Germany is Tier 1 and flags nothing.
    assert_eq!(
        got,
        vec![
            ("O'Neil \\ Sons' Trading", Role::Customer, &[Flag::HeadquarteredInTier3][..], vec![Some(3), Some(2)]),
            ("Marina Compute", Role::Customer, &[Flag::ParentHeadquarteredInTier3][..], vec![Some(4)]),
            ("Macau Parts ' Ltd", Role::Supplier, &[Flag::HeadquarteredInTier3][..], vec![Some(6)]),
        ]
    );
    assert_eq!(s.flagged[0].value_usd, 40.0);
    assert_eq!(s.flagged[0].evidence[0].value_usd, 30.0, "most value first");
}
