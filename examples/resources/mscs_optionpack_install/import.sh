# Import a node's Option Pack install by the node's name. Method, components and
# service pack are read from the node; set setup_path and service_pack_path in
# the configuration (they are not recorded on the node).
terraform import mscs_optionpack_install.node2 NODE2
