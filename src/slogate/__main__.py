from slogate.cli import main

main()
