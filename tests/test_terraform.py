"""Terraform export: schema check, references, and terraform validate on the aws export.

The alicloud provider has no local binary, so its exports are checked against
the argument data read from its documentation (simkit/interop/providers.json).
The aws exports are checked by Terraform itself: one ``terraform init``
(offline, from a local plugin directory) and one ``terraform validate`` over a
root module that calls the export of every scenario; the test is skipped with
the reason when terraform or the hashicorp/aws provider is not on the machine.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import simkit
from simkit.interop import PROVIDERS, terraform_config
from simkit.interop.terraform import check, write_config

SCENARIOS = sorted(Path(__file__).resolve().parent.parent.glob("scenarios/*.yaml"))


@pytest.fixture(scope="module")
def runs():
    return {path.stem: simkit.run(path) for path in SCENARIOS}


def _refs(files):
    text = json.dumps(files)
    return re.findall(r"\$\{([^}]*)\}", text)


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_every_scenario_exports_and_passes_the_schema_check(runs, provider):
    for name, run in runs.items():
        files = terraform_config(run, provider)
        assert check(files, provider) == [], name
        resources = files.get("resources.tf.json", {}).get("resource", {})
        declared = {f"{kind}.{n}" for kind, named in resources.items() for n in named}
        variables = set(files["main.tf.json"]["variable"])
        for ref in _refs(files):
            head, _, rest = ref.partition(".")
            if head == "var":
                assert rest in variables, (name, ref)
            else:
                assert f"{head}.{rest.partition('.')[0]}" in declared, (name, ref)


def test_resources_refer_to_each_other_by_reference_never_by_id(runs):
    files = terraform_config(runs["share_ipam_pool"], "alicloud")
    res = files["resources.tf.json"]["resource"]
    assert res["alicloud_vpc_ipam_ipam_pool"]["hz"]["source_ipam_pool_id"] == \
        "${alicloud_vpc_ipam_ipam_pool.corp.id}"
    assert res["alicloud_vpc_ipam_ipam_pool"]["corp"]["ipam_scope_id"] == \
        "${alicloud_vpc_ipam_ipam.ipam-main.private_default_scope_id}"
    # a principal's VPC asks the shared pool by mask, after the share reaches it
    quick = terraform_config(runs["quickstart"], "alicloud")["resources.tf.json"]["resource"]
    vpc = quick["alicloud_vpc"]["vpc-shop"]
    assert (vpc["ipv4_ipam_pool_id"], vpc["ipv4_cidr_mask"], vpc["provider"]) == (
        "${alicloud_vpc_ipam_ipam_pool.hz.id}", 20, "alicloud.shop")
    assert vpc["depends_on"] == ["alicloud_vpc_ipam_ipam_pool_cidr.hz_1",
                                 "alicloud_resource_manager_shared_resource.rs-business_hz",
                                 "alicloud_resource_manager_shared_target."
                                 "rs-business_folder_Business"]
    for body in (b for named in res.values() for b in named.values()):
        for key, value in body.items():
            if key.endswith("_id") and key != "pool_region_id" and isinstance(value, str):
                assert value.startswith("${"), (key, value)


def test_the_comment_block_names_what_was_not_exported(runs):
    main = terraform_config(runs["conflicts_and_adoption"], "alicloud")["main.tf.json"]
    comment = main["//"]
    assert "Unmanaged VPCs (" in comment and "vpc-acme-app" in comment
    assert "reserved ranges" in comment
    aws = terraform_config(runs["share_ipam_pool"], "aws")["main.tf.json"]["//"]
    assert "deleted shares (rs-ipam)" in aws
    assert "VPC vpc-shop: the secondary CIDRs 10.17.16.0/20 are linked to no pool" in aws
    assert "no exported share reaches now" in aws    # the partner's VPC outlived the share
    folders = terraform_config(runs["quickstart"], "aws")["main.tf.json"]["//"]
    assert "has no folder-level share outside one" in folders


def test_one_provider_alias_per_acting_account_and_a_variable_per_account(runs):
    # quickstart: netadmin owns the IPAM and shares hz with the folder Business, whose
    # accounts shop and payments each create a VPC from it; mgmt never acts
    main = terraform_config(runs["quickstart"], "alicloud")["main.tf.json"]
    assert [p["alias"] for p in main["provider"]["alicloud"]] == ["netadmin", "payments", "shop"]
    assert sorted(main["variable"]) == ["account_netadmin", "account_payments", "account_shop",
                                        "folder_id_Business", "role_name"]
    for p in main["provider"]["alicloud"]:
        assert p["assume_role"] == [{"role_arn": f"acs:ram::${{var.account_{p['alias']}}}:"
                                                 "role/${var.role_name}"}]


@pytest.mark.parametrize("provider", ["alicloud", "aws"])
def test_ipv6_pools_and_dual_stack_vpcs_are_exported_by_mask(runs, provider):
    files = terraform_config(runs["dual_stack"], provider)
    res = files["resources.tf.json"]["resource"]
    aws = provider == "aws"
    pool = res["aws_vpc_ipam_pool" if aws else "alicloud_vpc_ipam_ipam_pool"]
    cidr = res["aws_vpc_ipam_pool_cidr" if aws else "alicloud_vpc_ipam_ipam_pool_cidr"]
    vpc = res["aws_vpc" if aws else "alicloud_vpc"]["vpc-pay-hz"]
    public = ("${aws_vpc_ipam.ipam-main.public_default_scope_id}" if aws
              else "${var.public_scope_id_ipam-main}")
    assert {pool["hz6"]["ipam_scope_id"], pool["hz6-biz"]["ipam_scope_id"]} == {public}
    if aws:
        assert (pool["hz6"]["public_ip_source"], pool["hz6"]["aws_service"]) == ("amazon", "ec2")
        assert "public_ip_source" not in pool["hz6-biz"]
    else:
        assert pool["hz6"]["ipv6_isp"] == "BGP" and "ipv6_isp" not in pool["hz6-biz"]
        assert "public_scope_id_ipam-main" in files["main.tf.json"]["variable"]
    # the cloud hands out IPv6 blocks: by mask, a child after its source's block
    assert cidr["hz6_1"] == {"provider": cidr["hz6_1"]["provider"],
                             "ipam_pool_id": pool_ref(provider, "hz6"), "netmask_length": 48}
    assert cidr["hz6-biz_1"]["netmask_length"] == 53
    assert cidr["hz6-biz_1"]["depends_on"] == [f"{cidr_type(provider)}.hz6_1"]
    assert vpc["ipv6_ipam_pool_id"] == pool_ref(provider, "hz6-biz")
    assert vpc["ipv6_netmask_length" if aws else "ipv6_cidr_mask"] == 56
    assert f"{cidr_type(provider)}.hz6-biz_1" in vpc["depends_on"]
    # the VPC before it in hz6-biz goes first: the first free /56 is the planned one
    assert f"{'aws_vpc' if aws else 'alicloud_vpc'}.vpc-shop-hz" in vpc["depends_on"]
    comment = files["main.tf.json"]["//"]
    assert "VPC vpc-shop-hz: its secondary IPv6 block 2001:db8:0:200::/56" in comment


def test_aws_vpcs_take_ipv6_blocks_of_the_sizes_aws_gives_only(runs):
    comment = terraform_config(runs["regression_ipv6"], "aws")["main.tf.json"]["//"]
    assert re.search(r"VPC vpc-shop: its IPv6 block 2001:db8::/64: AWS gives a VPC an IPv6 "
                     r"block from a pool of /44, /48, /52, /56, /60 only", comment)
    assert "VPC vpc-v6: IPv6 only" in comment
    vpc = terraform_config(runs["regression_ipv6"], "aws")["resources.tf.json"]["resource"][
        "aws_vpc"]["vpc-shop"]
    assert "ipv6_ipam_pool_id" not in vpc
    alicloud = terraform_config(runs["regression_ipv6"], "alicloud")["resources.tf.json"]
    assert alicloud["resource"]["alicloud_vpc"]["vpc-shop"]["ipv6_cidr_mask"] == 64


def pool_ref(provider: str, pool: str) -> str:
    kind = "aws_vpc_ipam_pool" if provider == "aws" else "alicloud_vpc_ipam_ipam_pool"
    return f"${{{kind}.{pool}.id}}"


def cidr_type(provider: str) -> str:
    return "aws_vpc_ipam_pool_cidr" if provider == "aws" else "alicloud_vpc_ipam_ipam_pool_cidr"


def test_check_reports_unknown_arguments_and_dangling_references():
    files = {"x.tf.json": {"resource": {"aws_vpc": {"a": {
        "ipv4_ipam_pool_id": "${aws_vpc_ipam_pool.gone.id}", "netmask": 24,
        "depends_on": ["aws_vpc.b"], "provider": "aws.nobody"}}}}}
    assert check(files, "aws") == [
        "aws_vpc.a: unknown argument netmask",
        "aws_vpc.a: ipv4_ipam_pool_id refers to aws_vpc_ipam_pool.gone, which is not declared",
        "aws_vpc.a: depends_on aws_vpc.b, which is not declared",
        "aws_vpc.a: provider aws.nobody is not declared",
    ]


def test_every_resource_type_records_its_documentation_link():
    for spec in PROVIDERS.values():
        for kind, data in spec["resources"].items():
            assert data["doc"].startswith("https://registry.terraform.io/providers/"), kind
            assert data["doc"].endswith("/" + kind.partition("_")[2]), kind


def test_write_config_refuses_a_file_where_a_directory_is_wanted(tmp_path):
    target = tmp_path / "f"
    target.write_text("x")
    with pytest.raises(simkit.UsageError, match="exists and is not a directory"):
        write_config({"main.tf.json": {}}, target)


# -- terraform itself ----------------------------------------------------------------------
def _plugin_dir() -> Path | None:
    """A local provider directory holding hashicorp/aws: env var, then standard places."""
    home = Path.home()
    candidates = [os.environ.get("SIMKIT_TF_PLUGIN_DIR"), os.environ.get("TF_PLUGIN_DIR"),
                  str(home / ".terraform.d" / "plugins"),
                  os.path.join(os.environ.get("XDG_DATA_HOME", home / ".local" / "share"),
                               "terraform", "plugins"),
                  "/usr/local/share/terraform/plugins", "/usr/share/terraform/plugins",
                  "/opt/tf-plugins"]
    for c in candidates:
        pattern = "registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws*"
        if c and any(Path(c).glob(pattern)):
            return Path(c)
    return None


def _terraform(args, cwd):
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1", TF_CLI_CONFIG_FILE="/dev/null")
    return subprocess.run(["terraform", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def _validate(runs, names, directory):
    """terraform init (offline) and validate on a root module calling each export."""
    if shutil.which("terraform") is None:
        pytest.skip("no terraform binary on PATH")
    plugins = _plugin_dir()
    if plugins is None:
        pytest.skip("no local hashicorp/aws provider (set SIMKIT_TF_PLUGIN_DIR to a plugin "
                    "directory); nothing may be downloaded")
    modules = {}
    for name in names:
        files = terraform_config(runs[name], "aws")
        write_config(files, directory / name)
        variables = files["main.tf.json"]["variable"]
        modules[name] = {"source": f"./{name}", **{
            v: ("123456789012" if v.startswith("account_") else
                f"arn:aws:organizations::123456789012:ou/o-example/{v}")
            for v, spec in variables.items() if "default" not in spec}}
    (directory / "main.tf.json").write_text(json.dumps({"module": modules}, indent=2))
    init = _terraform(["init", "-input=false", "-backend=false", f"-plugin-dir={plugins}"],
                      directory)
    assert init.returncode == 0, init.stderr
    validate = _terraform(["validate", "-json"], directory)
    result = json.loads(validate.stdout)
    assert result["valid"], json.dumps(result["diagnostics"], indent=2)
    assert result["error_count"] == 0


def test_aws_exports_of_two_scenarios_pass_terraform_validate(runs, tmp_path):
    # together these two use every aws resource type the export writes
    names = ["conflicts_and_adoption", "regression_quotas"]
    used = {kind for n in names for kind in
            terraform_config(runs[n], "aws")["resources.tf.json"]["resource"]}
    assert used == set(PROVIDERS["aws"]["resources"])
    _validate(runs, names, tmp_path)


@pytest.mark.slow
def test_aws_exports_of_every_scenario_pass_terraform_validate(runs, tmp_path):
    _validate(runs, sorted(runs), tmp_path)
    # the argument data of the aws resources agrees with the provider's own schema
    schema = json.loads(_terraform(["providers", "schema", "-json"], tmp_path).stdout)
    aws = schema["provider_schemas"]["registry.terraform.io/hashicorp/aws"]["resource_schemas"]
    for kind, data in PROVIDERS["aws"]["resources"].items():
        block = aws[kind]["block"]
        settable = {k for k, v in block["attributes"].items() if v.get("optional")
                    or v.get("required")} | set(block.get("block_types", {}))
        assert set(data["arguments"]) | set(data.get("blocks", {})) <= settable, kind
        assert set(data["attributes"]) <= set(block["attributes"]), kind
