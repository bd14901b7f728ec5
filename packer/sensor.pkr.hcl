# The Spanless sensor AMI: Ubuntu 24.04 LTS with everything a sensor needs baked in (pinned Node.js,
# the one-file sensor and its receive addon built for the image's architecture, systemd unit, sysctl,
# CloudWatch agent, unattended security upgrades), so a new instance installs nothing at boot. What it
# does is sensor-ami/image/provision.sh; packer/README.md says how to build and verify it.
#
# Written for Packer 1.6.6 (Debian's) as well as newer releases: no required_plugins block and no
# data sources, so the source AMI is chosen with source_ami_filter.

locals {
  repo            = "${path.root}/.."
  spanless        = jsondecode(file("${local.repo}/package.json")).version
  node_version    = regex_replace(file("${local.repo}/sensor-ami/image/pins.env"), "(?s)^.*\nNODE_VERSION=([0-9.]+)\n.*$", "$1")
  ubuntu_arch     = var.arch == "arm64" ? "arm64" : "amd64"
  instance_type   = var.instance_type != "" ? var.instance_type : (var.arch == "arm64" ? "c7g.large" : "c7i.large")
  build_time      = formatdate("YYYYMMDD-hhmmss", timestamp())
  inputs_tarball  = "${local.repo}/dist/image/spanless-image-inputs.tar.gz"
  remote_tarball  = "/tmp/spanless-image-inputs.tar.gz"
  remote_inputs   = "/tmp/spanless-image-inputs"
  canonical_owner = "099720109477"
}

source "amazon-ebs" "sensor" {
  region          = var.region
  instance_type   = local.instance_type
  subnet_id       = var.subnet_id
  ami_name        = "spanless-sensor-${local.spanless}-${var.arch}-${local.build_time}"
  ami_description = "Spanless network sensor ${local.spanless} (${var.arch}, Ubuntu 24.04 LTS, Node.js ${local.node_version})"
  ami_users       = var.ami_users

  source_ami_filter {
    filters = {
      name                = "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-${local.ubuntu_arch}-server-*"
      architecture        = var.arch
      root-device-type    = "ebs"
      virtualization-type = "hvm"
    }
    owners      = [local.canonical_owner]
    most_recent = true
  }

  launch_block_device_mappings {
    device_name = "/dev/sda1"
    volume_size = var.root_volume_gb
    volume_type = "gp3"
    # gp3's baseline, stated: Packer 1.6.6 requires it for gp3.
    iops                  = 3000
    throughput            = 125
    encrypted             = true
    kms_key_id            = var.kms_key_id
    delete_on_termination = true
  }
  encrypt_boot = true
  kms_key_id   = var.kms_key_id

  ssh_username = "ubuntu"

  run_tags = {
    Name    = "spanless-sensor-image-build"
    project = "spanless"
  }
  tags = {
    Name                  = "spanless-sensor-${local.spanless}-${var.arch}"
    project               = "spanless"
    "spanless:version"    = local.spanless
    "spanless:arch"       = var.arch
    "spanless:node"       = local.node_version
    "spanless:built"      = local.build_time
    "spanless:source-ami" = "{{ .SourceAMI }}"
  }
  snapshot_tags = {
    project            = "spanless"
    "spanless:version" = local.spanless
  }
}

build {
  sources = ["source.amazon-ebs.sensor"]

  # The build instance answers only IMDSv2 (token) requests from here on, like the sensors the stack
  # launches. Packer 1.6.6's amazon-ebs has no metadata_options block (1.7 and later do), so the
  # instance is switched with the AWS CLI on this machine, with the credentials Packer itself uses,
  # before anything runs on it.
  provisioner "shell-local" {
    inline = [
      "aws ec2 modify-instance-metadata-options --region ${var.region} --instance-id ${build.ID} --http-tokens required --http-endpoint enabled --http-put-response-hop-limit 1 >/dev/null",
    ]
  }

  # The inputs: the one-file bundle, the provisioning scripts and pins, the units, the addon's sources
  # and the commit, packed on this machine from this checkout.
  provisioner "shell-local" {
    inline = [
      "cd '${local.repo}'",
      "npm run bundle",
      "bash sensor-ami/image/pack-inputs.sh --out '${local.inputs_tarball}'",
    ]
  }

  provisioner "file" {
    source      = local.inputs_tarball
    destination = local.remote_tarball
    generated   = true
  }

  provisioner "shell" {
    # cloud-init may still be running apt when SSH comes up; provisioning waits for it.
    inline = [
      "cloud-init status --wait >/dev/null || true",
      "rm -rf ${local.remote_inputs} && mkdir -p ${local.remote_inputs}",
      "tar -xzf ${local.remote_tarball} -C ${local.remote_inputs}",
      "sudo bash ${local.remote_inputs}/sensor-ami/image/provision.sh --inputs ${local.remote_inputs} --root / --arch ${var.arch}",
      "sudo /usr/local/bin/spanless version",
      "rm -rf ${local.remote_inputs} ${local.remote_tarball}",
    ]
  }

  # The manifest next to the AMI ID: what the stack's image pin refers to.
  post-processor "manifest" {
    output     = "${local.repo}/dist/image/packer-manifest.json"
    strip_path = true
    custom_data = {
      spanless = local.spanless
      arch     = var.arch
      node     = local.node_version
    }
  }
}
