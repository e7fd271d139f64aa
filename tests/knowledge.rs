//! The embedded knowledge base: WIF tables, error messages, task catalog and migration plans,
//! checked against facts of the source documents and the catalog; plus the data generators'
//! own checks when the shared reference folder is present.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use azpls::knowledge::*;

fn t2024() -> TableId {
    knowledge()
        .table_by_date("2024-02-08")
        .expect("2024-02-08 table")
}

fn t2025() -> TableId {
    knowledge()
        .table_by_date("2025-03-12")
        .expect("2025-03-12 table")
}

fn status(table: TableId, name: &str, major: u32) -> Status {
    knowledge()
        .lookup(table, name, major)
        .unwrap_or_else(|| panic!("{name}@{major} listed"))
        .status
        .clone()
}

fn step(pairs: &[(&str, &str)]) -> Vec<(String, Option<String>)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), Some(v.to_string())))
        .collect()
}

#[test]
fn embedded_tables_load_oldest_first_with_all_rows() {
    let k = knowledge();
    let dates: Vec<&str> = k.tables().iter().map(|t| t.date.as_str()).collect();
    assert_eq!(dates, ["2024-02-08", "2025-03-12"]);
    assert!(t2024() < t2025());
    assert_eq!(k.newest(), t2025());
    assert_eq!(k.tasks(t2024()).len(), 62);
    assert_eq!(k.tasks(t2025()).len(), 67);
    assert_eq!(k.table_by_date("2023-08-17"), None);
    for t in k.tables() {
        assert_eq!(k.table(t.id), t);
        assert_eq!(t.tasks_url, format!("{}#review-pipeline-tasks", t.url));
        assert_eq!(t.azure_cli_min, "2.30");
    }
}

#[test]
fn table_facts_differ_between_versions() {
    let k = knowledge();
    let (old, new) = (k.table(t2024()), k.table(t2025()));
    assert_eq!(
        (old.commit.as_str(), new.commit.as_str()),
        ("c6956962", "0110bc30")
    );
    assert!(old.container_resource_acr_unsupported);
    assert!(!new.container_resource_acr_unsupported);
    assert_ne!(old.marketplace, new.marketplace);
    assert_ne!(old.unlisted_builtin, new.unlisted_builtin);
    assert_eq!(old.identity_formats.len(), 1);
    assert_eq!(
        old.identity_formats[0].issuer,
        "https://vstoken.dev.azure.com"
    );
    assert_eq!(
        old.identity_formats[0].subject,
        "sc://<org>/<project>/<service-connection>"
    );
    let kinds: Vec<&str> = new
        .identity_formats
        .iter()
        .map(|f| f.kind.as_str())
        .collect();
    assert_eq!(kinds, ["Azure DevOps", "Microsoft Entra"]);
    assert_eq!(
        new.identity_formats[0].issuer,
        "https://vstoken.dev.azure.com/<organization id>"
    );
    assert_eq!(
        new.identity_formats[0].subject,
        "sc://<organization name>/<project name>/<service connection name>"
    );
    assert_eq!(
        new.identity_formats[1].issuer,
        "https://login.microsoftonline.com/<Entra tenant id>/v2.0"
    );
    assert_eq!(
        new.identity_formats[1].subject,
        "<microsoft entra prefix>/sc/<organization id>/<service connection id>"
    );
}

#[test]
fn lookup_is_case_insensitive_on_the_name_only() {
    let k = knowledge();
    let e = k.lookup(t2024(), "azurefilecopy", 4).unwrap();
    assert_eq!(e.name, "AzureFileCopy");
    assert_eq!(e.table, t2024());
    assert!(k.lookup(t2024(), "AZUREFILECOPY", 4).is_some());
    assert!(k.lookup(t2024(), "AzureFileCopy", 7).is_none());
    assert!(k.lists_task("dockercompose"));
    assert!(!k.lists_task("AzureCLI@2"));
    assert!(!k.lists_task("BicepDeploy"));
    // Added in 2025-03-12 only, but lists_task spans every table.
    assert!(k.lookup(t2024(), "Maven", 4).is_none());
    assert!(k.lists_task("maven"));
}

#[test]
fn azure_file_copy_4_is_deprecated_in_favour_of_6_in_both_tables() {
    for t in [t2024(), t2025()] {
        assert_eq!(
            status(t, "AzureFileCopy", 4),
            Status::Deprecated {
                replacement: "AzureFileCopy".into(),
                replacement_major: 6,
                condition: None
            }
        );
        assert_eq!(status(t, "AzureFileCopy", 6), Status::Supported);
    }
}

#[test]
fn docker_2_planned_then_supported() {
    assert_eq!(
        status(t2024(), "Docker", 2),
        Status::Planned {
            when: "2024 Q2".into()
        }
    );
    assert_eq!(status(t2025(), "Docker", 2), Status::Supported);
}

#[test]
fn packer_build_0_planned_then_deprecated() {
    assert_eq!(
        status(t2024(), "PackerBuild", 0),
        Status::Planned {
            when: "2024 Q2".into()
        }
    );
    assert_eq!(
        status(t2025(), "PackerBuild", 0),
        Status::Deprecated {
            replacement: "PackerBuild".into(),
            replacement_major: 1,
            condition: None
        }
    );
}

#[test]
fn publish_to_service_bus_1_unsupported_then_deprecated_with_condition() {
    assert_eq!(
        status(t2024(), "PublishToAzureServiceBus", 1),
        Status::Unsupported
    );
    assert_eq!(
        status(t2025(), "PublishToAzureServiceBus", 1),
        Status::Deprecated {
            replacement: "PublishToAzureServiceBus".into(),
            replacement_major: 2,
            condition: Some("with Azure service connection".into()),
        }
    );
}

fn per_input(table: TableId, name: &str, major: u32) -> Vec<InputSupport> {
    match status(table, name, major) {
        Status::PerInput { inputs } => inputs,
        other => panic!("{name}@{major}: expected per-input, got {other:?}"),
    }
}

#[test]
fn docker_1_in_2024_resolves_names_it_does_not_have_by_connection_type() {
    let inputs = per_input(t2024(), "Docker", 1);
    let summary: Vec<(Option<&str>, &str, bool, Resolution)> = inputs
        .iter()
        .map(|i| {
            (
                i.table_name.as_deref(),
                i.connection_type.as_str(),
                i.supported,
                i.resolved_by,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                Some("azureSubscription"),
                "AzureRM",
                true,
                Resolution::ConnectionType
            ),
            (
                Some("azureSubscriptionEndpoint"),
                "AzureRM",
                true,
                Resolution::Name
            ),
            (
                Some("dockerRegistryConnection"),
                "dockerregistry",
                false,
                Resolution::ConnectionType
            ),
        ]
    );
    assert_eq!(inputs[2].spellings, ["dockerRegistryEndpoint"]);
    assert!(inputs[2].matches("DOCKERREGISTRYENDPOINT"));
    // Docker@1 has no such alias, so a step writing it is not this input.
    assert!(!inputs[2].matches("dockerRegistryConnection"));
}

#[test]
fn docker_1_in_2025_names_connection_types() {
    let inputs = per_input(t2025(), "Docker", 1);
    assert_eq!(inputs.len(), 2);
    assert_eq!(
        inputs[0].connection_label.as_deref(),
        Some("Azure service connection")
    );
    assert_eq!(inputs[0].table_name, None);
    assert!(inputs[0].supported);
    assert_eq!(inputs[0].spellings, ["azureSubscriptionEndpoint"]);
    assert_eq!(
        inputs[1].connection_label.as_deref(),
        Some("Docker Registry service connection")
    );
    assert_eq!(inputs[1].connection_type, "dockerregistry");
    assert!(!inputs[1].supported);
    assert_eq!(inputs[1].spellings, ["dockerRegistryEndpoint"]);
    assert!(
        inputs
            .iter()
            .all(|i| i.resolved_by == Resolution::ConnectionType)
    );
}

#[test]
fn docker_0_registry_input_accepts_its_alias() {
    let inputs = per_input(t2024(), "Docker", 0);
    let registry = inputs
        .iter()
        .find(|i| i.connection_type == "dockerregistry")
        .unwrap();
    assert_eq!(
        registry.table_name.as_deref(),
        Some("dockerRegistryConnection")
    );
    assert_eq!(registry.resolved_by, Resolution::Alias);
    assert_eq!(
        registry.spellings,
        ["dockerRegistryEndpoint", "dockerRegistryConnection"]
    );
    assert!(registry.matches("dockerregistryconnection"));
    assert!(!registry.supported);
    assert_eq!(status(t2025(), "Docker", 0), Status::Supported);
}

#[test]
fn helm_deploy_0_azure_connection_type_covers_both_azure_inputs() {
    let inputs = per_input(t2025(), "HelmDeploy", 0);
    assert_eq!(
        inputs[0].spellings,
        [
            "azureSubscriptionEndpoint",
            "azureSubscription",
            "azureSubscriptionEndpointForACR",
            "azureSubscriptionForACR"
        ]
    );
    let e = knowledge().lookup(t2024(), "HelmDeploy", 0).unwrap();
    assert_eq!(e.status, Status::Supported);
    assert_eq!(e.links.len(), 1);
    assert!(
        e.links[0]
            .url
            .starts_with("https://devblogs.microsoft.com/")
    );
}

#[test]
fn every_row_is_in_the_catalog_and_every_input_resolves() {
    let k = knowledge();
    for t in k.tables() {
        for e in k.tasks(t.id) {
            assert_eq!(e.note, None, "{}@{}", e.name, e.major);
            assert!(
                catalog().task(&e.name, e.major).is_some(),
                "{}@{}",
                e.name,
                e.major
            );
            if let Status::PerInput { inputs } = &e.status {
                for i in inputs {
                    assert_ne!(i.resolved_by, Resolution::Unresolved);
                    let task = catalog().task(&e.name, e.major).unwrap();
                    for s in &i.spellings {
                        assert!(task.input(s).is_some(), "{}@{} {s}", e.name, e.major);
                    }
                }
            }
        }
    }
}

#[test]
fn error_lookups_by_table() {
    let k = knowledge();
    let has = |t: TableId, code: &str| k.errors_in(t).any(|e| e.code.as_deref() == Some(code));
    assert!(has(t2024(), "AADSTS700024") && has(t2025(), "AADSTS700024"));
    assert!(!has(t2024(), "AADSTS70025") && has(t2025(), "AADSTS70025"));
    for code in ["AADSTS700213", "AADSTS70052", "AADSTS900382"] {
        assert!(!has(t2024(), code) && has(t2025(), code), "{code}");
    }
    assert_eq!(k.errors_in(t2024()).count(), 14);
    assert_eq!(k.errors_in(t2025()).count(), 18);
    let e = k
        .errors()
        .iter()
        .find(|e| e.code.as_deref() == Some("AADSTS700024"))
        .unwrap();
    assert_eq!(e.tables, [t2024(), t2025()]);
    assert!(!e.links.is_empty());
}

#[test]
fn error_messages_match_log_lines_case_insensitively() {
    let k = knowledge();
    let line =
        "##[error]aadsts70025: Client application has no configured federated identity credentials";
    let hits: Vec<&str> = k
        .errors_matching(t2025(), line)
        .map(|e| e.id.as_str())
        .collect();
    assert_eq!(hits, ["aadsts70025"]);
    assert_eq!(k.errors_matching(t2024(), line).count(), 0);
    let line = "ERROR: Could not fetch access token for Azure. Verify if the Service Principal used is valid";
    assert_eq!(k.errors_matching(t2024(), line).count(), 1);
    assert!(
        k.errors()
            .iter()
            .all(|e| !e.cause.is_empty() && !e.resolution.is_empty())
    );
    assert!(k.errors().iter().all(|e| e.matches_line(&e.message)));
}

#[test]
fn catalog_has_every_task_version() {
    let c = catalog();
    assert_eq!(c.tasks().len(), 224);
    assert!(c.commit().starts_with("299572e2"));
    assert_eq!(c.majors("azurefilecopy"), [1, 2, 3, 4, 5, 6]);
    let docker0 = c.task("docker", 0).unwrap();
    assert_eq!(
        docker0.input("DOCKERREGISTRYCONNECTION").unwrap().name,
        "dockerRegistryEndpoint"
    );
    assert!(
        c.task("Docker", 1)
            .unwrap()
            .input("dockerRegistryConnection")
            .is_none()
    );
    let afc = c.task("AzureFileCopy", 6).unwrap();
    let arm = afc.input("azureSubscription").unwrap();
    assert_eq!(arm.kind, "connectedService:AzureRM");
    assert!(arm.required);
    assert!(c.task("AzureRmWebAppDeployment", 3).unwrap().deprecated);
}

/// Slugs checked against the task reference's table of contents: the plain rule, acronyms,
/// and the words the reference keeps whole.
#[test]
fn reference_slugs_follow_the_task_reference() {
    for (name, slug) in [
        ("AzureCLI", "azure-cli"),
        ("AzureFileCopy", "azure-file-copy"),
        ("DotNetCoreCLI", "dotnet-core-cli"),
        ("UseDotNet", "use-dotnet"),
        ("PowerShell", "powershell"),
        ("AzurePowerShell", "azure-powershell"),
        ("NuGetCommand", "nuget-command"),
        ("AzureNLBManagement", "azure-nlb-management"),
        ("AzureRmWebAppDeployment", "azure-rm-web-app-deployment"),
        ("PyPIPublisher", "py-pi-publisher"),
        ("InstallSSHKey", "install-ssh-key"),
        ("CopyFilesOverSSH", "copy-files-over-ssh"),
        (
            "IISWebAppDeploymentOnMachineGroup",
            "iisweb-app-deployment-on-machine-group",
        ),
        ("XcodePackageiOS", "xcode-package-ios"),
        ("InvokeRESTAPI", "invoke-rest-api"),
        ("cURLUploader", "curl-uploader"),
        ("CMake", "cmake"),
        ("VSTest", "vstest"),
        ("MSBuild", "msbuild"),
        ("AzureIoTEdge", "azure-iot-edge"),
        (
            "DownloadGitHubNugetPackage",
            "download-github-nuget-package",
        ),
        (
            "AdvancedSecurity-Codeql-Init",
            "advanced-security-codeql-init",
        ),
        ("npmAuthenticate", "npm-authenticate"),
        ("queryWorkItems", "query-work-items"),
    ] {
        assert_eq!(reference_slug(name), slug, "{name}");
    }
    let c = catalog();
    assert_eq!(
        c.task("AzureCLI", 2).unwrap().reference_url().as_deref(),
        Some("https://learn.microsoft.com/azure/devops/pipelines/tasks/reference/azure-cli-v2")
    );
    // Versions the reference leaves out link to their own help page instead.
    assert_eq!(
        c.task("XamarinAndroid", 1)
            .unwrap()
            .reference_url()
            .as_deref(),
        Some("https://go.microsoft.com/fwlink/?LinkID=613728")
    );
}

#[test]
fn input_keys_and_connection_labels() {
    let cli = catalog().task("AzureCLI", 2).unwrap();
    let arm = cli.input("azureSubscription").unwrap();
    assert_eq!(arm.name, "connectedServiceNameARM");
    assert_eq!(arm.yaml_key(), "azureSubscription");
    assert_eq!(
        arm.spellings().collect::<Vec<_>>(),
        ["azureSubscription", "connectedServiceNameARM"]
    );
    assert_eq!(cli.input("scriptType").unwrap().yaml_key(), "scriptType");
    assert_eq!(
        connection_kind_label("AzureRM"),
        "Azure Resource Manager service connection"
    );
    assert_eq!(
        connection_kind_label("github:OAuth,Token"),
        "GitHub service connection"
    );
    assert_eq!(
        connection_kind_label("Whatever"),
        "Whatever service connection"
    );
}

#[test]
fn every_catalog_visible_rule_parses() {
    for t in catalog().tasks() {
        for i in &t.inputs {
            if let Some(rule) = &i.visible_rule {
                assert!(
                    VisibleRule::parse(rule).is_some(),
                    "{}@{} {}: {rule}",
                    t.name,
                    t.major,
                    i.name
                );
            }
        }
    }
}

#[test]
fn migration_azure_file_copy_4_and_5_to_6_is_safe_for_a_blob_upload() {
    let s = step(&[
        ("SourcePath", "$(Build.ArtifactStagingDirectory)"),
        ("azureSubscription", "my-arm"),
        ("Destination", "AzureBlob"),
        ("storage", "mystorage"),
        ("ContainerName", "drop"),
    ]);
    for from in [4, 5] {
        let p = plan_migration(("AzureFileCopy", from), ("AzureFileCopy", 6), &s);
        assert!(p.safe, "@{from}: {p:?}");
        assert!(!p.unknown_catalog);
    }
}

#[test]
fn migration_azure_file_copy_drops_sas_token_timeout() {
    let mut s = step(&[
        ("SourcePath", "out"),
        ("azureSubscription", "arm"),
        ("Destination", "AzureBlob"),
        ("storage", "st"),
        ("ContainerName", "c"),
    ]);
    s.push(("sasTokenTimeOutInMinutes".into(), Some("60".into())));
    let p = plan_migration(("AzureFileCopy", 4), ("AzureFileCopy", 6), &s);
    assert!(!p.safe);
    assert_eq!(p.drop, ["sasTokenTimeOutInMinutes"]);
    assert!(p.add.is_empty() && p.rename.is_empty());
}

#[test]
fn migration_azure_file_copy_to_vms_adds_nothing_the_step_already_sets() {
    let s = step(&[
        ("SourcePath", "out"),
        ("azureSubscription", "arm"),
        ("Destination", "AzureVMs"),
        ("storage", "st"),
        ("resourceGroup", "rg"),
        ("vmsAdminUserName", "u"),
        ("vmsAdminPassword", "$(pw)"),
        ("TargetPath", "c:\\app"),
    ]);
    assert!(plan_migration(("AzureFileCopy", 5), ("AzureFileCopy", 6), &s).safe);
}

#[test]
fn migration_azure_monitor_0_to_1_drops_resource_and_alert_rule_inputs() {
    let s = step(&[
        ("connectedServiceNameARM", "arm"),
        ("ResourceGroupName", "rg"),
        ("ResourceType", "Microsoft.Insights/components"),
        ("resourceName", "app"),
        ("alertRules", "[]"),
    ]);
    let p = plan_migration(("AzureMonitor", 0), ("AzureMonitor", 1), &s);
    assert!(!p.safe);
    assert_eq!(p.drop, ["ResourceType", "resourceName", "alertRules"]);
    assert!(p.add.is_empty() && p.rename.is_empty());
}

#[test]
fn migration_azure_cloud_powershell_1_to_2_needs_arm_inputs() {
    let s = step(&[
        ("azureClassicSubscription", "classic"),
        ("StorageAccount", "st"),
        ("ServiceName", "svc"),
        ("ServiceLocation", "West Europe"),
        ("CsPkg", "a.cspkg"),
        ("CsCfg", "a.cscfg"),
    ]);
    let p = plan_migration(
        ("AzureCloudPowerShellDeployment", 1),
        ("AzureCloudPowerShellDeployment", 2),
        &s,
    );
    assert!(!p.safe);
    assert_eq!(p.drop, ["azureClassicSubscription", "StorageAccount"]);
    assert_eq!(
        p.add,
        [
            "ARMConnectedServiceName",
            "ResourceGroupName",
            "ARMStorageAccount",
            "CsDef"
        ]
    );
}

#[test]
fn migration_kubernetes_0_to_1_renames_the_dropped_alias() {
    let s = step(&[
        ("kubernetesServiceConnection", "aks"),
        ("namespace", "default"),
        ("command", "apply"),
        ("useConfigurationFile", "true"),
        ("configuration", "manifests/"),
    ]);
    let p = plan_migration(("Kubernetes", 0), ("Kubernetes", 1), &s);
    assert!(!p.safe);
    assert_eq!(
        p.rename,
        [(
            "kubernetesServiceConnection".to_string(),
            "kubernetesServiceEndpoint".to_string()
        )]
    );
    assert!(p.drop.is_empty() && p.add.is_empty());
}

#[test]
fn migration_kubernetes_manifest_and_function_on_kubernetes_keep_their_keys() {
    let s = step(&[
        ("action", "deploy"),
        ("kubernetesServiceConnection", "aks"),
        ("namespace", "default"),
        ("manifests", "k8s/*.yml"),
    ]);
    let p = plan_migration(("KubernetesManifest", 0), ("KubernetesManifest", 1), &s);
    assert!(p.safe, "{p:?}");
    let s = step(&[
        ("dockerRegistryServiceConnection", "acr"),
        ("kubernetesServiceConnection", "aks"),
        ("appName", "func"),
    ]);
    let p = plan_migration(
        ("AzureFunctionOnKubernetes", 0),
        ("AzureFunctionOnKubernetes", 1),
        &s,
    );
    assert!(p.safe, "{p:?}");
}

#[test]
fn migration_packer_build_0_to_1_needs_a_managed_image_name() {
    let s = step(&[
        ("templateType", "builtin"),
        ("ConnectedServiceName", "arm"),
        ("location", "westeurope"),
        ("storageAccountName", "st"),
        ("azureResourceGroup", "rg"),
        ("baseImageSource", "default"),
        (
            "baseImage",
            "MicrosoftWindowsServer:WindowsServer:2012-R2-Datacenter:windows",
        ),
        ("packagePath", "out"),
        ("deployScriptPath", "deploy.ps1"),
    ]);
    let p = plan_migration(("PackerBuild", 0), ("PackerBuild", 1), &s);
    assert!(!p.safe);
    assert_eq!(p.add, ["managedImageName"]);
    assert!(p.drop.is_empty() && p.rename.is_empty());
    // Turning managed images off (isManagedImage defaults to true) makes the name invisible.
    let mut off = s.clone();
    off.push(("isManagedImage".into(), Some("false".into())));
    assert!(plan_migration(("PackerBuild", 0), ("PackerBuild", 1), &off).safe);
    // A runtime value can't be evaluated: no claim that the name is needed.
    let mut runtime = s;
    runtime.push(("isManagedImage".into(), Some("$(managed)".into())));
    assert!(plan_migration(("PackerBuild", 0), ("PackerBuild", 1), &runtime).safe);
}

#[test]
fn migration_publish_to_service_bus_1_to_2_changes_connection_type_and_needs_queue() {
    let s = step(&[
        ("azureSubscription", "bus-connection"),
        ("messageBody", "{}"),
    ]);
    let p = plan_migration(
        ("PublishToAzureServiceBus", 1),
        ("PublishToAzureServiceBus", 2),
        &s,
    );
    assert!(!p.safe);
    assert_eq!(
        p.retype,
        [(
            "azureSubscription".to_string(),
            "connectedService:AzureServiceBus".to_string(),
            "connectedService:AzureRM".to_string()
        )]
    );
    assert_eq!(p.add, ["serviceBusQueueName", "serviceBusNamespace"]);
}

#[test]
fn migration_with_unknown_version_is_not_safe() {
    let p = plan_migration(("AzureFileCopy", 9), ("AzureFileCopy", 6), &[]);
    assert!(p.unknown_catalog && !p.safe);
    let p = plan_migration(("NoSuchTask", 1), ("NoSuchTask", 2), &[]);
    assert!(p.unknown_catalog && !p.safe);
}

#[test]
fn parsing_the_embedded_tables_is_fast() {
    // The first call parses; later calls reuse it. A generous bound for debug builds.
    let start = Instant::now();
    let _ = knowledge();
    let first = start.elapsed();
    assert!(first.as_millis() < 200, "knowledge() took {first:?}");
}

// ---- generator checks against the shared reference documents

fn shared_dir(root: &Path) -> PathBuf {
    std::env::var_os("AZPLS_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared"))
}

/// Runs Python 3.11 or newer (the generators read TOML with `tomllib`): an older or
/// missing python3 fails with that said, rather than with a confusing import error.
fn run_python(root: &Path, args: &[&str]) {
    let probe = Command::new("python3")
        .args([
            "-c",
            "import sys; print(sys.version.split()[0]); sys.exit(sys.version_info < (3, 11))",
        ])
        .output();
    let (new_enough, found) = match probe {
        Ok(o) => (
            o.status.success(),
            String::from_utf8_lossy(&o.stdout).trim().to_string(),
        ),
        Err(e) => (false, format!("none: {e}")),
    };
    assert!(
        new_enough,
        "this test needs python3 3.11 or newer on PATH (found {found}); on Debian 12: apt-get install python3"
    );
    // -B: leave no __pycache__ behind in data/.
    let out = Command::new("python3")
        .arg("-B")
        .args(args)
        .current_dir(root)
        .output()
        .unwrap_or_else(|e| panic!("python3 {args:?}: {e}"));
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "python3 {args:?} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Asked for with `--include-ignored`, a test that needs the shared folder fails without
/// it: the Python checks would otherwise skip and the test pass having verified nothing.
fn require_shared(root: &Path) {
    let shared = shared_dir(root);
    assert!(
        shared.is_dir(),
        "this test needs the shared reference folder and found none at {}: put it beside \
         the repository as ../shared, or set AZPLS_SHARED",
        shared.display()
    );
}

#[test]
#[ignore = "needs ../shared (or AZPLS_SHARED) and python3 3.11"]
fn data_matches_shared_documents() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    require_shared(root);
    run_python(root, &["data/gen_wif.py", "--check"]);
    run_python(root, &["data/gen_reference.py", "--check"]);
    run_python(root, &["data/gen_catalog.py", "--check"]);
    run_python(root, &["data/gen_language.py", "--check"]);
}

#[test]
#[ignore = "needs ../shared (or AZPLS_SHARED) and python3 3.11"]
fn data_generator_unit_tests_pass() {
    // Part of the suite reads the real documents and would skip itself without them.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    require_shared(root);
    run_python(root, &["-m", "unittest", "discover", "-s", "data/tests"]);
}

/// Inputs the old version required too were missing before the move as well: they don't
/// make the move unsafe.
#[test]
fn migration_does_not_blame_inputs_the_step_already_lacked() {
    let plan = plan_migration(("AzureFileCopy", 4), ("AzureFileCopy", 6), &[]);
    assert!(plan.safe, "{plan:?}");
}

#[test]
fn catalog_finds_tasks_by_id_and_knows_retired_versions() {
    let cat = catalog();
    let bash = cat.task("Bash", 3).expect("Bash@3");
    let by_id = cat
        .task(&bash.id.to_uppercase(), 3)
        .expect("by id, any case");
    assert_eq!(by_id.name, "Bash");
    // One id, several names over the versions.
    let node = cat.task("NodeTool", 0).unwrap();
    assert_eq!(
        cat.task(&node.id, 1).map(|t| t.name.as_str()),
        Some("UseNode")
    );
    // Retired from the repository, still accepted: exists, with the schema's inputs, but
    // apart from the repository's versions.
    let retired = cat.task("powershell", 1).expect("PowerShell@1");
    assert!(retired.retired && cat.exists("PowerShell", 1));
    assert!(retired.input("scriptName").is_some() && retired.input("script").is_none());
    assert!(!cat.tasks().iter().any(|t| t.retired));
    assert_eq!(cat.majors("PowerShell"), [2]);
    assert!(!cat.exists("PowerShell", 3));
    assert_eq!(cat.all_majors("powershell"), [1, 2]);
    assert!(cat.knows("XamariniOS") && !cat.knows("SonarCloudPrepare"));
}

#[test]
fn input_visibility_chains_through_inputs_that_do_not_apply() {
    let task = catalog().task("DotNetCoreCLI", 2).unwrap();
    let index = |name: &str| task.inputs.iter().position(|i| i.accepts(name)).unwrap();
    let step = |pairs: &'static [(&'static str, &'static str)]| {
        move |input: &CatalogInput| {
            pairs
                .iter()
                .find(|(k, _)| input.accepts(k))
                .map(|(_, v)| RuleValue::Known(v.to_string()))
        }
    };
    // With defaults: feedsToUse defaults to "select", so feedRestore applies.
    let set = step(&[("command", "restore")]);
    let applies = task.visibility(&set, true);
    assert_eq!(applies[index("feedRestore")], Some(true));
    // From the step's own values only, nothing selects it.
    let applies = task.visibility(&set, false);
    assert_eq!(applies[index("feedRestore")], None);
    let set = step(&[("command", "restore"), ("feedsToUse", "config")]);
    let applies = task.visibility(&set, false);
    assert_eq!(applies[index("feedRestore")], Some(false));
    assert_eq!(applies[index("nugetConfigPath")], Some(true));
    // An input in a group shows only when its group does: the chart registry settings of
    // HelmDeploy@0 serve the save command alone.
    let helm = catalog().task("HelmDeploy", 0).unwrap();
    let registry = helm.input("azureContainerRegistry").unwrap();
    assert!(registry.required && !registry.conditional);
    assert_eq!(registry.visible_rule.as_deref(), Some("command == save"));
    // An input whose task.json writes `"required": "false"` is not required at all.
    assert!(!task.input("packagesDirectory").unwrap().required);
    assert!(
        !catalog()
            .task("CopyFiles", 2)
            .unwrap()
            .input("TargetFolder")
            .unwrap()
            .conditional
    );
}

#[test]
fn inputs_the_reference_or_the_schema_lists_are_inputs_of_the_version() {
    let cat = catalog();
    for name in [
        "NuGetAuthenticate",
        "npmAuthenticate",
        "PipAuthenticate",
        "TwineAuthenticate",
    ] {
        let major = *cat.majors(name).last().unwrap();
        let task = cat.task(name, major).unwrap();
        let connection = task.input("azureDevOpsServiceConnection").unwrap();
        assert_eq!(connection.source.as_deref(), Some("reference"), "{name}");
        assert!(connection.accepts("WORKLOADIDENTITYSERVICECONNECTION"));
        assert!(task.input("feedUrl").is_some(), "{name}");
    }
    let universal = cat.task("UniversalPackages", 1).unwrap();
    assert!(universal.input("organization").is_some());
    assert!(
        universal
            .input("workloadIdentityServiceConnection")
            .is_some()
    );
    let conda = cat.task("CondaAuthenticate", 0).unwrap();
    assert_eq!(
        conda
            .input("azureDevOpsServiceConnection")
            .unwrap()
            .source
            .as_deref(),
        Some("schema")
    );
    // The task's own inputs carry no source.
    assert_eq!(universal.input("feed").unwrap().source, None);
}

#[test]
fn an_input_the_reference_calls_optional_is_not_required() {
    // task.json calls both required; their pages, Optional.
    let packer = catalog().task("PackerBuild", 1).unwrap();
    assert!(!packer.input("isManagedImage").unwrap().required);
    let cli = catalog().task("DotNetCoreCLI", 2).unwrap();
    assert!(!cli.input("publishWebProjects").unwrap().required);
    assert!(cli.input("command").unwrap().required);
}

#[test]
fn retired_versions_take_their_inputs_from_the_schema_and_the_reference() {
    let cat = catalog();
    assert_eq!(cat.retired().len(), 41);
    let cli = cat.task("AzureCLI", 0).unwrap();
    assert_eq!(cli.friendly_name, "Azure CLI Preview");
    let arm = cli.input("connectedServiceNameARM").unwrap();
    assert_eq!(arm.source.as_deref(), Some("schema"));
    // The page's condition: required only with the Resource Manager connection type.
    assert!(arm.required);
    assert_eq!(
        arm.visible_rule.as_deref(),
        Some("connectedServiceNameSelector = connectedServiceNameARM")
    );
    assert!(cli.reference_url().unwrap().ends_with("/azure-cli-v0"));
    // The connection type, which neither source gives, comes from AzureCLI@1's same input.
    assert_eq!(arm.connection_type(), Some("AzureRM"));
    // No reference page: no link rather than a broken one; the schema says what is required.
    let license = cat.task("XamarinLicense", 1).unwrap();
    assert!(license.undocumented && license.reference_url().is_none());
    assert!(license.input("email").unwrap().required);
    // Retired versions have no id: steps naming a task by id find the repository's.
    assert!(cat.retired().iter().all(|t| t.id.is_empty()));
}
